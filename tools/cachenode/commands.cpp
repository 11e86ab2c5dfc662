#include "commands.hpp"

#include "syskit_version.h"

#include <fnmatch.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <unordered_map>

namespace syskit::cachenode {

namespace {

using Args = std::span<const std::string_view>;

struct Ctx {
    Shared& sh;
    Args argv;
    std::string& out;
    bool& quit;
    bool& authed;
};

using Handler = void (*)(Ctx&);

struct Command {
    std::string_view name;
    int arity; ///< Redis's: n exactly n arguments with the name, -n at least n
    bool before_auth;
    Op op;
    Handler run;
};

/// Redis's integer arguments: optional '-', digits without a leading zero.
bool parse_i64(std::string_view s, std::int64_t& v) {
    if (s.empty() || s.size() > 20)
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return false;
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)) == s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

void err_not_integer(std::string& out) { resp::error(out, "ERR value is not an integer or out of range"); }
void err_syntax(std::string& out) { resp::error(out, "ERR syntax error"); }
void err_oom(std::string& out) { resp::error(out, "OOM command not allowed when used memory > 'maxmemory'."); }

/// Checks the size of a key argument, replying with an error when it is too large.
bool key_ok(Ctx& c, std::string_view key) {
    if (key.size() <= c.sh.cfg.max_key)
        return true;
    resp::error(c.out, fmt::format("ERR key is larger than max-key ({} bytes)", c.sh.cfg.max_key));
    return false;
}

bool value_ok(Ctx& c, std::size_t size) {
    if (size <= c.sh.cfg.store.max_value)
        return true;
    resp::error(c.out, fmt::format("ERR value is larger than max-value ({} bytes)", c.sh.cfg.store.max_value));
    return false;
}

/// now + amount * unit_ms as a monotonic deadline; false when that overflows.
bool deadline(std::int64_t now, std::int64_t amount, std::int64_t unit_ms, std::int64_t& at) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    if (amount > 0 && amount > (max - now) / unit_ms)
        return false;
    if (amount < 0 && amount < (std::numeric_limits<std::int64_t>::min() + now) / unit_ms)
        return false;
    at = now + amount * unit_ms;
    return true;
}

void status_reply(Ctx& c, Status st) {
    switch (st) {
    case Status::ok:
        resp::simple(c.out, "OK");
        break;
    case Status::condition:
    case Status::not_found:
        resp::null_bulk(c.out);
        break;
    case Status::oom:
        err_oom(c.out);
        break;
    case Status::not_integer:
        err_not_integer(c.out);
        break;
    case Status::overflow:
        resp::error(c.out, "ERR increment or decrement would overflow");
        break;
    }
}

void cmd_ping(Ctx& c) {
    if (c.argv.size() > 2) {
        resp::error(c.out, "ERR wrong number of arguments for 'ping' command");
        return;
    }
    if (c.argv.size() == 2)
        resp::bulk(c.out, c.argv[1]);
    else
        resp::simple(c.out, "PONG");
}

void cmd_echo(Ctx& c) { resp::bulk(c.out, c.argv[1]); }

void cmd_get(Ctx& c) {
    if (!key_ok(c, c.argv[1]))
        return;
    if (!c.sh.store.get(c.argv[1], [&](std::string_view v) { resp::bulk(c.out, v); }))
        resp::null_bulk(c.out);
}

void cmd_set(Ctx& c) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    SetArgs a;
    bool has_expire = false;
    for (std::size_t i = 3; i < c.argv.size(); ++i) {
        std::string_view o = c.argv[i];
        if (iequals(o, "NX") && a.cond == SetArgs::Cond::always) {
            a.cond = SetArgs::Cond::nx;
        } else if (iequals(o, "XX") && a.cond == SetArgs::Cond::always) {
            a.cond = SetArgs::Cond::xx;
        } else if (iequals(o, "KEEPTTL") && !has_expire) {
            a.keep_ttl = true;
            has_expire = true;
        } else if ((iequals(o, "EX") || iequals(o, "PX")) && !has_expire && i + 1 < c.argv.size()) {
            std::int64_t n = 0;
            if (!parse_i64(c.argv[i + 1], n)) {
                err_not_integer(c.out);
                return;
            }
            if (n <= 0 || !deadline(c.sh.store.now(), n, iequals(o, "EX") ? 1000 : 1, a.expire_at)) {
                resp::error(c.out, "ERR invalid expire time in 'set' command");
                return;
            }
            has_expire = true;
            ++i;
        } else {
            err_syntax(c.out);
            return;
        }
    }
    status_reply(c, c.sh.store.set(c.argv[1], c.argv[2], a));
}

void cmd_del(Ctx& c) {
    Store::Lock lock(c.sh.store, c.argv.subspan(1));
    std::int64_t n = 0;
    for (std::size_t i = 1; i < c.argv.size(); ++i)
        n += c.sh.store.del(c.argv[i]);
    resp::integer(c.out, n);
}

void cmd_exists(Ctx& c) {
    Store::Lock lock(c.sh.store, c.argv.subspan(1));
    std::int64_t n = 0;
    for (std::size_t i = 1; i < c.argv.size(); ++i)
        n += c.sh.store.exists(c.argv[i]);
    resp::integer(c.out, n);
}

void expire_generic(Ctx& c, std::int64_t unit_ms, const char* name) {
    if (c.argv.size() > 3) {
        resp::error(c.out, fmt::format("ERR Unsupported option {}", c.argv[3]));
        return;
    }
    std::int64_t n = 0, at = 0;
    if (!parse_i64(c.argv[2], n)) {
        err_not_integer(c.out);
        return;
    }
    if (!deadline(c.sh.store.now(), n, unit_ms, at)) {
        resp::error(c.out, fmt::format("ERR invalid expire time in '{}' command", name));
        return;
    }
    resp::integer(c.out, c.sh.store.expire_at(c.argv[1], at) ? 1 : 0);
}

void cmd_expire(Ctx& c) { expire_generic(c, 1000, "expire"); }
void cmd_pexpire(Ctx& c) { expire_generic(c, 1, "pexpire"); }
void cmd_persist(Ctx& c) { resp::integer(c.out, c.sh.store.persist(c.argv[1]) ? 1 : 0); }
void cmd_pttl(Ctx& c) { resp::integer(c.out, c.sh.store.pttl(c.argv[1])); }

void cmd_ttl(Ctx& c) {
    std::int64_t ms = c.sh.store.pttl(c.argv[1]);
    resp::integer(c.out, ms < 0 ? ms : (ms + 500) / 1000); // Redis rounds to the nearest second
}

void cmd_mget(Ctx& c) {
    Store::Lock lock(c.sh.store, c.argv.subspan(1));
    resp::array(c.out, c.argv.size() - 1);
    for (std::size_t i = 1; i < c.argv.size(); ++i)
        if (!c.sh.store.get(c.argv[i], [&](std::string_view v) { resp::bulk(c.out, v); }))
            resp::null_bulk(c.out);
}

void cmd_mset(Ctx& c) {
    if (c.argv.size() % 2 != 1) {
        resp::error(c.out, "ERR wrong number of arguments for 'mset' command");
        return;
    }
    for (std::size_t i = 1; i < c.argv.size(); i += 2)
        if (!key_ok(c, c.argv[i]) || !value_ok(c, c.argv[i + 1].size()))
            return;
    status_reply(c, c.sh.store.mset(c.argv.subspan(1)));
}

void incr_generic(Ctx& c, std::int64_t delta) {
    if (!key_ok(c, c.argv[1]))
        return;
    std::int64_t r = 0;
    Status st = c.sh.store.incr_by(c.argv[1], delta, r);
    if (st == Status::ok)
        resp::integer(c.out, r);
    else
        status_reply(c, st);
}

void cmd_incr(Ctx& c) { incr_generic(c, 1); }
void cmd_decr(Ctx& c) { incr_generic(c, -1); }

void cmd_incrby(Ctx& c) {
    std::int64_t d = 0;
    if (!parse_i64(c.argv[2], d)) {
        err_not_integer(c.out);
        return;
    }
    incr_generic(c, d);
}

void cmd_decrby(Ctx& c) {
    std::int64_t d = 0;
    if (!parse_i64(c.argv[2], d) || d == std::numeric_limits<std::int64_t>::min()) {
        err_not_integer(c.out);
        return;
    }
    incr_generic(c, -d);
}

void cmd_append(Ctx& c) {
    if (!key_ok(c, c.argv[1]))
        return;
    if (c.sh.store.strlen(c.argv[1]) + c.argv[2].size() > c.sh.cfg.store.max_value) {
        resp::error(c.out,
                    fmt::format("ERR string exceeds maximum allowed size (max-value {} bytes)", c.sh.cfg.store.max_value));
        return;
    }
    std::size_t len = 0;
    Status st = c.sh.store.append(c.argv[1], c.argv[2], len);
    if (st == Status::ok)
        resp::integer(c.out, static_cast<std::int64_t>(len));
    else
        status_reply(c, st);
}

void cmd_strlen(Ctx& c) { resp::integer(c.out, static_cast<std::int64_t>(c.sh.store.strlen(c.argv[1]))); }
void cmd_dbsize(Ctx& c) { resp::integer(c.out, static_cast<std::int64_t>(c.sh.store.size())); }

void cmd_flushall(Ctx& c) {
    if (c.argv.size() > 2 || (c.argv.size() == 2 && !iequals(c.argv[1], "ASYNC") && !iequals(c.argv[1], "SYNC"))) {
        err_syntax(c.out);
        return;
    }
    c.sh.store.flush();
    resp::simple(c.out, "OK");
}

void cmd_info(Ctx& c) {
    std::string text;
    if (c.argv.size() == 1) {
        text = info_text(c.sh, "");
    } else {
        for (std::size_t i = 1; i < c.argv.size(); ++i) {
            std::string section(c.argv[i]);
            std::transform(section.begin(), section.end(), section.begin(), [](char ch) { return ch | 0x20; });
            text += info_text(c.sh, section);
        }
    }
    resp::bulk(c.out, text);
}

void cmd_auth(Ctx& c) {
    if (c.argv.size() > 3) {
        err_syntax(c.out);
        return;
    }
    if (!c.sh.auth.required()) {
        resp::error(c.out, "ERR AUTH <password> called without any password configured for the default user. "
                           "Are you sure your configuration is correct?");
        return;
    }
    bool user_ok = c.argv.size() == 2 || c.argv[1] == "default";
    if (user_ok && c.sh.auth.check(c.argv.back())) {
        c.authed = true;
        resp::simple(c.out, "OK");
    } else {
        resp::error(c.out, "WRONGPASS invalid username-password pair or user is disabled.");
    }
}

void cmd_select(Ctx& c) {
    std::int64_t db = 0;
    if (!parse_i64(c.argv[1], db)) {
        err_not_integer(c.out);
        return;
    }
    if (db != 0) {
        resp::error(c.out, "ERR DB index is out of range");
        return;
    }
    resp::simple(c.out, "OK");
}

void cmd_quit(Ctx& c) {
    resp::simple(c.out, "OK");
    c.quit = true;
}

void cmd_command(Ctx& c);
void cmd_config(Ctx& c);

constexpr Command commands[] = {
    {"ping", -1, true, Op::ping, cmd_ping},
    {"echo", 2, false, Op::echo, cmd_echo},
    {"get", 2, false, Op::get, cmd_get},
    {"set", -3, false, Op::set, cmd_set},
    {"del", -2, false, Op::del, cmd_del},
    {"exists", -2, false, Op::exists, cmd_exists},
    {"expire", -3, false, Op::expire, cmd_expire},
    {"pexpire", -3, false, Op::pexpire, cmd_pexpire},
    {"persist", 2, false, Op::persist, cmd_persist},
    {"ttl", 2, false, Op::ttl, cmd_ttl},
    {"pttl", 2, false, Op::pttl, cmd_pttl},
    {"mget", -2, false, Op::mget, cmd_mget},
    {"mset", -3, false, Op::mset, cmd_mset},
    {"incr", 2, false, Op::incr, cmd_incr},
    {"incrby", 3, false, Op::incrby, cmd_incrby},
    {"decr", 2, false, Op::decr, cmd_decr},
    {"decrby", 3, false, Op::decrby, cmd_decrby},
    {"append", 3, false, Op::append, cmd_append},
    {"strlen", 2, false, Op::strlen, cmd_strlen},
    {"dbsize", 1, false, Op::dbsize, cmd_dbsize},
    {"flushall", -1, false, Op::flushall, cmd_flushall},
    {"flushdb", -1, false, Op::flushall, cmd_flushall},
    {"info", -1, false, Op::info, cmd_info},
    {"auth", -2, true, Op::auth, cmd_auth},
    {"select", 2, false, Op::select, cmd_select},
    {"quit", -1, true, Op::quit, cmd_quit},
    {"command", -1, false, Op::command, cmd_command},
    {"config", -2, false, Op::config, cmd_config},
};

void cmd_command(Ctx& c) {
    if (c.argv.size() >= 2 && iequals(c.argv[1], "COUNT")) {
        resp::integer(c.out, std::size(commands));
        return;
    }
    if (c.argv.size() >= 2 && iequals(c.argv[1], "DOCS")) {
        // No documentation to give: redis-cli then falls back to the help built into it.
        resp::array(c.out, 0);
        return;
    }
    bool info = c.argv.size() >= 2 && iequals(c.argv[1], "INFO");
    if (c.argv.size() >= 2 && !info) {
        resp::error(c.out, fmt::format("ERR unknown subcommand '{}'. Try COMMAND HELP.", c.argv[1].substr(0, 128)));
        return;
    }
    auto describe = [&](const Command& cmd) {
        // Redis 2.8's six fields: name, arity, flags, first key, last key, step.
        bool keys = cmd.op != Op::ping && cmd.op != Op::echo && cmd.op != Op::dbsize && cmd.op != Op::flushall &&
                    cmd.op != Op::info && cmd.op != Op::auth && cmd.op != Op::select && cmd.op != Op::quit &&
                    cmd.op != Op::command && cmd.op != Op::config;
        bool many = cmd.op == Op::del || cmd.op == Op::exists || cmd.op == Op::mget || cmd.op == Op::mset;
        resp::array(c.out, 6);
        resp::bulk(c.out, cmd.name);
        resp::integer(c.out, cmd.arity);
        resp::array(c.out, 0);
        resp::integer(c.out, keys ? 1 : 0);
        resp::integer(c.out, keys ? (many ? -1 : 1) : 0);
        resp::integer(c.out, keys ? (cmd.op == Op::mset ? 2 : 1) : 0);
    };
    if (!info) {
        resp::array(c.out, std::size(commands));
        for (const Command& cmd : commands)
            describe(cmd);
        return;
    }
    resp::array(c.out, c.argv.size() - 2);
    for (std::size_t i = 2; i < c.argv.size(); ++i) {
        auto it = std::find_if(std::begin(commands), std::end(commands),
                               [&](const Command& cmd) { return iequals(cmd.name, c.argv[i]); });
        if (it == std::end(commands))
            c.out += "*-1\r\n";
        else
            describe(*it);
    }
}

/// Redis's memory sizes: digits and an optional unit (k 1000, kb 1024, m, mb, g, gb).
bool parse_memory(std::string_view s, std::size_t& v) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 19)
        return false;
    std::uint64_t n = 0;
    std::from_chars(s.data(), s.data() + digits, n);
    std::string unit(s.substr(digits));
    std::transform(unit.begin(), unit.end(), unit.begin(), [](char ch) { return ch | 0x20; });
    const std::pair<const char*, std::uint64_t> units[] = {{"", 1},       {"b", 1},          {"k", 1000},
                                                           {"kb", 1024},  {"m", 1000000},    {"mb", 1 << 20},
                                                           {"g", 1000000000}, {"gb", 1u << 30}};
    for (const auto& [name, mul] : units)
        if (unit == name) {
            if (n > std::numeric_limits<std::uint64_t>::max() / mul)
                return false;
            v = static_cast<std::size_t>(n * mul);
            return true;
        }
    return false;
}

/// CONFIG SET client-output-buffer-limit "normal HARD SOFT SECONDS".
bool set_output_limits(Ctx& c, std::string_view value) {
    std::vector<std::string_view> words;
    for (std::size_t i = 0; i < value.size();) {
        std::size_t j = value.find(' ', i);
        if (j == std::string_view::npos)
            j = value.size();
        if (j > i)
            words.push_back(value.substr(i, j - i));
        i = j + 1;
    }
    std::size_t hard = 0, soft = 0, secs = 0;
    if (words.size() != 4 || !iequals(words[0], "normal") || !parse_memory(words[1], hard) ||
        !parse_memory(words[2], soft) || !parse_memory(words[3], secs))
        return false;
    c.sh.output_limits.hard.store(hard, std::memory_order_relaxed);
    c.sh.output_limits.soft.store(soft, std::memory_order_relaxed);
    c.sh.output_limits.soft_ms.store(secs * 1000, std::memory_order_relaxed);
    return true;
}

void cmd_config(Ctx& c) {
    if (iequals(c.argv[1], "SET")) {
        if (c.argv.size() < 4 || c.argv.size() % 2 != 0) {
            resp::error(c.out, "ERR wrong number of arguments for 'config|set' command");
            return;
        }
        for (std::size_t i = 2; i < c.argv.size(); i += 2) {
            if (!iequals(c.argv[i], "client-output-buffer-limit")) {
                resp::error(c.out, fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                                               c.argv[i].substr(0, 128)));
                return;
            }
            if (!set_output_limits(c, c.argv[i + 1])) {
                resp::error(c.out, fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - "
                                               "only the normal class, as 'normal HARD SOFT SECONDS'",
                                               c.argv[i].substr(0, 128)));
                return;
            }
        }
        resp::simple(c.out, "OK");
        return;
    }
    if (!iequals(c.argv[1], "GET")) {
        resp::error(c.out, fmt::format("ERR CONFIG {} is not supported; cachenode is configured on its command line",
                                       c.argv[1].substr(0, 32)));
        return;
    }
    const Config& cfg = c.sh.cfg;
    const net::OutputLimits& ol = c.sh.output_limits;
    // The parameters clients ask about (redis-benchmark: save, appendonly), with Redis's names.
    const std::pair<const char*, std::string> params[] = {
        {"bind", cfg.bind},
        {"port", std::to_string(cfg.port)},
        {"databases", "1"},
        {"maxmemory", std::to_string(cfg.store.max_memory)},
        {"maxmemory-policy", policy_name(cfg.store.policy)},
        {"maxclients", std::to_string(cfg.max_clients)},
        {"timeout", std::to_string(cfg.idle_timeout_s)},
        {"proto-max-bulk-len", std::to_string(std::max(cfg.store.max_value, cfg.max_key))},
        {"client-output-buffer-limit",
         fmt::format("normal {} {} {}", ol.hard.load(std::memory_order_relaxed), ol.soft.load(std::memory_order_relaxed),
                     ol.soft_ms.load(std::memory_order_relaxed) / 1000)},
        {"save", ""},
        {"appendonly", "no"},
    };
    std::vector<std::pair<const char*, const std::string*>> found;
    for (std::size_t i = 2; i < c.argv.size(); ++i) {
        std::string pattern(c.argv[i]);
        for (const auto& param : params)
            if (fnmatch(pattern.c_str(), param.first, FNM_CASEFOLD) == 0 &&
                std::none_of(found.begin(), found.end(), [&](const auto& f) { return f.first == param.first; }))
                found.emplace_back(param.first, &param.second);
    }
    resp::array(c.out, found.size() * 2);
    for (const auto& [name, value] : found) {
        resp::bulk(c.out, name);
        resp::bulk(c.out, *value);
    }
}

const Command* lookup(std::string_view name) {
    static const auto table = [] {
        std::unordered_map<std::string_view, const Command*> t;
        for (const Command& cmd : commands)
            t.emplace(cmd.name, &cmd);
        return t;
    }();
    char lower[16];
    if (name.size() > sizeof lower)
        return nullptr;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char ch = name[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch | 0x20) : ch;
    }
    auto it = table.find(std::string_view(lower, name.size()));
    return it == table.end() ? nullptr : it->second;
}

std::string human(std::size_t bytes) {
    const char* units[] = {"B", "K", "M", "G", "T"};
    double v = static_cast<double>(bytes);
    unsigned u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{}B", bytes) : fmt::format("{:.2f}{}", v, units[u]);
}

} // namespace

resp::ParseLimits request_limits(const Config& cfg) {
    resp::ParseLimits l;
    // Arguments may be as large as a request, so a value over --max-value gets its own clear
    // error from the command rather than a protocol error.
    l.max_bulk = cfg.max_request;
    l.max_request = cfg.max_request;
    return l;
}

std::string info_text(const Shared& sh, std::string_view section) {
    bool all = section.empty() || section == "default" || section == "all" || section == "everything";
    std::string t;
    auto want = [&](std::string_view s) { return all || section == s; };
    const Config& cfg = sh.cfg;
    if (want("server")) {
        utsname u{};
        uname(&u);
        std::uint64_t up = sh.stats.uptime_s();
        // redis_version: the Redis whose commands this answers, for clients that check it.
        t += fmt::format("# Server\r\nredis_version:7.0.0\r\ncachenode_version:{}\r\nredis_mode:standalone\r\n"
                         "os:{} {} {}\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\n"
                         "tcp_port:{}\r\nhttp_port:{}\r\nthreads:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\n"
                         "hz:10\r\n\r\n",
                         SYSKIT_VERSION, u.sysname, u.release, u.machine, getpid(), cfg.port, cfg.http_port,
                         cfg.threads, up, up / 86400);
    }
    if (want("clients"))
        t += fmt::format("# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n\r\n",
                         sh.stats.clients.load(std::memory_order_relaxed), cfg.max_clients);
    StoreStats st = sh.store.stats();
    if (want("memory")) {
        std::size_t rss = resident_bytes();
        t += fmt::format("# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\n"
                         "used_memory_rss_human:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\n"
                         "mem_allocator:libc\r\n\r\n",
                         st.used, human(st.used), rss, human(rss), st.limit, human(st.limit),
                         policy_name(cfg.store.policy));
    }
    if (want("stats"))
        t += fmt::format("# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n"
                         "rejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nkeyspace_hits:{}\r\n"
                         "keyspace_misses:{}\r\n\r\n",
                         sh.stats.connections(true), sh.stats.commands_processed(), sh.stats.connections(false),
                         st.expired, st.evictions, st.hits, st.misses);
    if (want("keyspace")) {
        t += "# Keyspace\r\n";
        if (st.keys)
            t += fmt::format("db0:keys={},expires={},avg_ttl=0\r\n", st.keys, st.keys_with_ttl);
        t += "\r\n";
    }
    if (t.size() >= 2)
        t.resize(t.size() - 2); // no blank line after the last section, as Redis
    return t;
}

RespSession::RespSession(Shared& shared, WorkerStats& stats)
    : sh_(shared), ws_(stats), authed_(!shared.auth.required()) {
    parser_.set_limits(authed_ ? request_limits(sh_.cfg) : unauthenticated_limits);
}

net::After RespSession::on_data(std::string_view in, std::size_t& consumed, std::string& out) {
    consumed = 0;
    auto start = std::chrono::steady_clock::now();
    Store::TimeScope at(sh_.store, start);
    std::uint64_t answered = 0;
    net::After after = net::After::keep;
    stalled_ = false;
    for (;;) {
        if (out.size() >= output_pause) {
            // The rest waits until the client has read this much (net::Session::stalled): a
            // pipeline that is never read cannot make the server buffer its replies without bound.
            stalled_ = consumed < in.size();
            break;
        }
        std::size_t used = 0;
        resp::Parse r = parser_.parse(in.substr(consumed), argv_, used, error_);
        if (r == resp::Parse::incomplete)
            break;
        if (r == resp::Parse::error) {
            resp::error(out, error_);
            ws_.record(Proto::resp, Op::bad_request, false);
            consumed = in.size();
            after = net::After::close;
            break;
        }
        consumed += used;
        if (argv_.empty())
            continue;
        bool quit = false;
        execute(argv_, out, quit);
        ++answered;
        if (quit) {
            after = net::After::close;
            break;
        }
    }
    // Two clock readings per read, not per command: the replies leave together anyway.
    if (answered)
        ws_.answered(answered, std::chrono::steady_clock::now() - start);
    return after;
}

void RespSession::execute(std::span<const std::string_view> argv, std::string& out, bool& quit) {
    std::size_t mark = out.size();
    const Command* cmd = lookup(argv[0]);
    bool was_authed = authed_;
    Op op = cmd ? cmd->op : Op::unknown;
    if (!authed_ && !(cmd && cmd->before_auth)) {
        resp::error(out, "NOAUTH Authentication required.");
    } else if (!cmd) {
        std::string msg = fmt::format("ERR unknown command '{}', with args beginning with: ", argv[0].substr(0, 128));
        for (std::size_t i = 1; i < argv.size() && msg.size() < 1024; ++i)
            msg += fmt::format("'{}' ", argv[i].substr(0, 128));
        resp::error(out, msg);
    } else if ((cmd->arity > 0 && argv.size() != static_cast<std::size_t>(cmd->arity)) ||
               (cmd->arity < 0 && argv.size() < static_cast<std::size_t>(-cmd->arity))) {
        resp::error(out, fmt::format("ERR wrong number of arguments for '{}' command", cmd->name));
    } else {
        Ctx c{sh_, argv, out, quit, authed_};
        cmd->run(c);
    }
    if (authed_ && !was_authed)
        parser_.set_limits(request_limits(sh_.cfg));
    bool ok = out.size() > mark && out[mark] != '-';
    ws_.record(Proto::resp, op, ok);
}

} // namespace syskit::cachenode

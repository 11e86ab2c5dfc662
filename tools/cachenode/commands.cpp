#include "commands.hpp"

#include "dump.hpp"
#include "migrate.hpp"
#include "syskit_version.h"

#include <fnmatch.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <initializer_list>
#include <ctime>
#include <chrono>
#include <limits>
#include <optional>
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
    ClientState& client;
    RespSession& self;
};

using Handler = void (*)(Ctx&);

struct Command {
    std::string_view name;
    int arity; ///< Redis's: n exactly n arguments with the name, -n at least n
    bool before_auth;
    Op op;
    Handler run;
    std::string_view flags; ///< Redis 7.0's COMMAND flags, space-separated
    int first_key, last_key, key_step; ///< Redis's key positions (last -1: the last argument)
    std::string_view acl;   ///< Redis 7.0's ACL categories, space-separated
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
void err_wrongtype(std::string& out) {
    resp::error(out, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

/// Whether the client speaks RESP3 (HELLO 3).
bool r3(const Ctx& c) { return c.client.resp == 3; }
/// A null reply in the client's protocol.
void nil(Ctx& c) { resp::null(c.out, r3(c)); }

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

void status_reply(Ctx& c, Status st) {
    switch (st) {
    case Status::ok:
        resp::simple(c.out, "OK");
        break;
    case Status::condition:
    case Status::not_found:
        nil(c);
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
    case Status::wrongtype:
        err_wrongtype(c.out);
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
    Status st = c.sh.store.read(c.argv[1], [&](std::string_view v) { resp::bulk(c.out, v); });
    if (st == Status::not_found)
        nil(c);
    else if (st != Status::ok)
        status_reply(c, st);
}

/// The wall clock in milliseconds: what EXAT, EXPIREAT and EXPIRETIME speak.
std::int64_t wall_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

/// The wall clock (ms) at the store's instant mono_now: mono_now plus an offset kept from one
/// command to the next, so that a deadline taken to the monotonic clock and back comes out as
/// it went in (PXAT, then PEXPIRETIME); sampled afresh when the two clocks have drifted more
/// than 50 ms apart (the wall clock was set or slewed).
std::int64_t wall_now_at(Shared& sh, std::int64_t mono_now) {
    std::int64_t fresh = wall_ms() - mono_now;
    std::int64_t kept = sh.wall_offset.load(std::memory_order_relaxed);
    if (kept == Shared::no_offset || fresh - kept > 50 || kept - fresh > 50) {
        sh.wall_offset.store(fresh, std::memory_order_relaxed);
        kept = fresh;
    }
    return mono_now + kept;
}

/// A wall-clock deadline as the store's monotonic one, saturating at the ends of the range.
std::int64_t to_monotonic(std::int64_t wall_at, std::int64_t mono_now, std::int64_t wall_now) {
    std::int64_t offset = wall_now - mono_now, r = 0;
    if (__builtin_sub_overflow(wall_at, offset, &r))
        return wall_at < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    return r;
}

std::int64_t to_wall(std::int64_t mono_at, std::int64_t mono_now, std::int64_t wall_now) {
    return mono_at + (wall_now - mono_now);
}

void err_expire(Ctx& c, std::string_view name) {
    resp::error(c.out, fmt::format("ERR invalid expire time in '{}' command", name));
}

/// EX/PX/EXAT/PXAT's argument as a monotonic deadline, with Redis's checks; false, answered,
/// when it is not an integer, not positive or overflows.
bool expire_arg(Ctx& c, std::string_view arg, std::int64_t unit_ms, bool absolute, std::string_view name,
                std::int64_t& at) {
    std::int64_t n = 0;
    if (!parse_i64(arg, n)) {
        err_not_integer(c.out);
        return false;
    }
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    if (n <= 0 || (unit_ms == 1000 && n > max / 1000)) {
        err_expire(c, name);
        return false;
    }
    n *= unit_ms;
    std::int64_t mono_now = c.sh.store.now(), wall_now = wall_now_at(c.sh, mono_now);
    if (!absolute) {
        if (n > max - wall_now) {
            err_expire(c, name);
            return false;
        }
        n += wall_now;
    }
    at = to_monotonic(n, mono_now, wall_now);
    return true;
}

void cmd_set(Ctx& c) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    SetArgs a;
    bool get = false;
    enum { none, ex, px, exat, pxat, keepttl } expire = none;
    std::string_view expire_value;
    for (std::size_t i = 3; i < c.argv.size(); ++i) {
        std::string_view o = c.argv[i];
        bool next = i + 1 < c.argv.size();
        bool timed = expire != none && expire != keepttl;
        if (iequals(o, "NX") && a.cond != SetArgs::Cond::xx) {
            a.cond = SetArgs::Cond::nx;
        } else if (iequals(o, "XX") && a.cond != SetArgs::Cond::nx) {
            a.cond = SetArgs::Cond::xx;
        } else if (iequals(o, "GET")) {
            get = true;
        } else if (iequals(o, "KEEPTTL") && !timed) {
            expire = keepttl;
        } else if (next && (expire == none || expire == ex) && iequals(o, "EX")) {
            expire = ex, expire_value = c.argv[++i];
        } else if (next && (expire == none || expire == px) && iequals(o, "PX")) {
            expire = px, expire_value = c.argv[++i];
        } else if (next && (expire == none || expire == exat) && iequals(o, "EXAT")) {
            expire = exat, expire_value = c.argv[++i];
        } else if (next && (expire == none || expire == pxat) && iequals(o, "PXAT")) {
            expire = pxat, expire_value = c.argv[++i];
        } else {
            err_syntax(c.out);
            return;
        }
    }
    if (expire != none && expire != keepttl &&
        !expire_arg(c, expire_value, expire == ex || expire == exat ? 1000 : 1, expire == exat || expire == pxat,
                    "set", a.expire_at))
        return;
    a.keep_ttl = expire == keepttl;
    if (!get && (a.expire_at == 0 || a.expire_at > c.sh.store.now())) {
        status_reply(c, c.sh.store.set(c.argv[1], c.argv[2], a));
        return;
    }
    // SET ... GET, or a deadline already past: read and write in one step.
    std::string old;
    bool had = false, wrong = false;
    Status st = c.sh.store.modify(c.argv[1], [&](const Current& cur) {
        had = cur.found;
        if (cur.found)
            old.assign(cur.value);
        Update u;
        if (get && cur.type != Type::string) {
            wrong = true;
            return u;
        }
        if ((a.cond == SetArgs::Cond::nx && cur.found) || (a.cond == SetArgs::Cond::xx && !cur.found))
            return u;
        u.action = Update::Action::write;
        u.value.assign(c.argv[2]);
        u.expire_at = a.keep_ttl ? cur.expire_at : a.expire_at;
        return u;
    });
    if (wrong)
        err_wrongtype(c.out);
    else if (st != Status::ok)
        status_reply(c, st);
    else if (get && had)
        resp::bulk(c.out, old);
    else if (get)
        nil(c);
    else
        resp::simple(c.out, "OK");
}

void cmd_setnx(Ctx& c) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    SetArgs a;
    a.cond = SetArgs::Cond::nx;
    Status st = c.sh.store.set(c.argv[1], c.argv[2], a);
    if (st == Status::ok || st == Status::condition)
        resp::integer(c.out, st == Status::ok ? 1 : 0);
    else
        status_reply(c, st);
}

void setex_generic(Ctx& c, std::int64_t unit_ms, std::string_view name) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[3].size()))
        return;
    SetArgs a;
    if (!expire_arg(c, c.argv[2], unit_ms, false, name, a.expire_at))
        return;
    status_reply(c, c.sh.store.set(c.argv[1], c.argv[3], a));
}

void cmd_setex(Ctx& c) { setex_generic(c, 1000, "setex"); }
void cmd_psetex(Ctx& c) { setex_generic(c, 1, "psetex"); }

/// GETSET, GETDEL, GETEX: the old value, and what f makes of the key.
template <class F>
void get_and(Ctx& c, F&& f) {
    std::string old;
    bool had = false, wrong = false;
    Status st = c.sh.store.modify(c.argv[1], [&](const Current& cur) {
        had = cur.found;
        if (cur.type != Type::string) {
            wrong = true;
            return Update{};
        }
        if (cur.found)
            old.assign(cur.value);
        return f(cur);
    });
    if (wrong)
        err_wrongtype(c.out);
    else if (st != Status::ok)
        status_reply(c, st);
    else if (had)
        resp::bulk(c.out, old);
    else
        nil(c);
}

void cmd_getset(Ctx& c) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    get_and(c, [&](const Current&) { return Update{Update::Action::write, std::string(c.argv[2]), 0}; });
}

void cmd_getdel(Ctx& c) {
    get_and(c, [&](const Current& cur) { return Update{cur.found ? Update::Action::erase : Update::Action::keep, {}, 0}; });
}

void cmd_getex(Ctx& c) {
    enum { none, ex, px, exat, pxat, persist } mode = none;
    std::string_view arg;
    for (std::size_t i = 2; i < c.argv.size(); ++i) {
        std::string_view o = c.argv[i];
        bool next = i + 1 < c.argv.size();
        if (next && (mode == none || mode == ex) && iequals(o, "EX"))
            mode = ex, arg = c.argv[++i];
        else if (next && (mode == none || mode == px) && iequals(o, "PX"))
            mode = px, arg = c.argv[++i];
        else if (next && (mode == none || mode == exat) && iequals(o, "EXAT"))
            mode = exat, arg = c.argv[++i];
        else if (next && (mode == none || mode == pxat) && iequals(o, "PXAT"))
            mode = pxat, arg = c.argv[++i];
        else if ((mode == none || mode == persist) && iequals(o, "PERSIST"))
            mode = persist;
        else {
            err_syntax(c.out);
            return;
        }
    }
    std::int64_t at = 0;
    // As Redis: a missing key is nil, a hash WRONGTYPE, before the time is looked at.
    Type t{};
    if (!c.sh.store.touch(c.argv[1], t)) {
        nil(c);
        return;
    }
    if (t != Type::string) {
        err_wrongtype(c.out);
        return;
    }
    if (mode != none && mode != persist &&
        !expire_arg(c, arg, mode == ex || mode == exat ? 1000 : 1, mode == exat || mode == pxat, "getex", at))
        return;
    get_and(c, [&](const Current& cur) {
        Update u;
        if (!cur.found || mode == none || (mode == persist && !cur.expire_at))
            return u;
        u.action = Update::Action::write;
        u.value.assign(cur.value);
        u.expire_at = mode == persist ? 0 : at;
        return u;
    });
}

void cmd_getrange(Ctx& c) {
    std::int64_t start = 0, end = 0;
    if (!parse_i64(c.argv[2], start) || !parse_i64(c.argv[3], end)) {
        err_not_integer(c.out);
        return;
    }
    std::string v;
    if (c.sh.store.read(c.argv[1], [&](std::string_view value) { v.assign(value); }) == Status::wrongtype) {
        err_wrongtype(c.out);
        return;
    }
    auto len = static_cast<std::int64_t>(v.size());
    if (start < 0 && end < 0 && start > end) {
        resp::bulk(c.out, "");
        return;
    }
    if (start < 0)
        start = len + start;
    if (end < 0)
        end = len + end;
    start = std::max<std::int64_t>(start, 0);
    end = std::max<std::int64_t>(end, 0);
    if (end >= len)
        end = len - 1;
    if (start > end || len == 0)
        resp::bulk(c.out, "");
    else
        resp::bulk(c.out, std::string_view(v).substr(static_cast<std::size_t>(start),
                                                      static_cast<std::size_t>(end - start + 1)));
}

void cmd_setrange(Ctx& c) {
    if (!key_ok(c, c.argv[1]))
        return;
    std::int64_t offset = 0;
    if (!parse_i64(c.argv[2], offset)) {
        err_not_integer(c.out);
        return;
    }
    if (offset < 0) {
        resp::error(c.out, "ERR offset is out of range");
        return;
    }
    std::string_view data = c.argv[3];
    if (static_cast<std::uint64_t>(offset) + data.size() > c.sh.cfg.store.max_value) {
        resp::error(c.out,
                    fmt::format("ERR string exceeds maximum allowed size (max-value {} bytes)", c.sh.cfg.store.max_value));
        return;
    }
    std::size_t len = 0;
    bool wrong = false;
    Status st = c.sh.store.modify(c.argv[1], [&](const Current& cur) {
        Update u;
        len = cur.value.size();
        if (cur.type != Type::string) {
            wrong = true;
            return u;
        }
        if (data.empty())
            return u;
        u.action = Update::Action::write;
        u.value.assign(cur.value);
        auto off = static_cast<std::size_t>(offset);
        if (u.value.size() < off + data.size())
            u.value.resize(off + data.size(), '\0');
        u.value.replace(off, data.size(), data);
        u.expire_at = cur.expire_at;
        len = u.value.size();
        return u;
    });
    if (wrong)
        err_wrongtype(c.out);
    else if (st == Status::ok)
        resp::integer(c.out, static_cast<std::int64_t>(len));
    else
        status_reply(c, st);
}

/// SETBIT's and GETBIT's offset: a bit within the longest value (--max-value); false, answered,
/// when it is not one.
bool bit_offset(Ctx& c, std::string_view arg, std::uint64_t& offset) {
    std::int64_t n = 0;
    if (!parse_i64(arg, n) || n < 0 || static_cast<std::uint64_t>(n >> 3) >= c.sh.cfg.store.max_value) {
        resp::error(c.out, "ERR bit offset is not an integer or out of range");
        return false;
    }
    offset = static_cast<std::uint64_t>(n);
    return true;
}

void cmd_getbit(Ctx& c) {
    std::uint64_t offset = 0;
    if (!bit_offset(c, c.argv[2], offset))
        return;
    int bit = 0;
    Status st = c.sh.store.read(c.argv[1], [&](std::string_view v) {
        if (offset / 8 < v.size())
            bit = (static_cast<unsigned char>(v[offset / 8]) >> (7 - offset % 8)) & 1;
    });
    if (st == Status::wrongtype)
        err_wrongtype(c.out);
    else
        resp::integer(c.out, bit);
}

void cmd_setbit(Ctx& c) {
    std::uint64_t offset = 0;
    if (!key_ok(c, c.argv[1]) || !bit_offset(c, c.argv[2], offset))
        return;
    if (c.argv[3] != "0" && c.argv[3] != "1") {
        resp::error(c.out, "ERR bit is not an integer or out of range");
        return;
    }
    int old = 0;
    bool wrong = false;
    Status st = c.sh.store.modify(c.argv[1], [&](const Current& cur) {
        Update u;
        if (cur.type != Type::string) {
            wrong = true;
            return u;
        }
        u.action = Update::Action::write;
        u.value.assign(cur.value);
        u.expire_at = cur.expire_at;
        std::size_t byte = offset / 8;
        if (u.value.size() <= byte)
            u.value.resize(byte + 1, '\0');
        auto mask = static_cast<unsigned char>(1u << (7 - offset % 8));
        auto& b = reinterpret_cast<unsigned char&>(u.value[byte]);
        old = (b & mask) ? 1 : 0;
        b = static_cast<unsigned char>(c.argv[3] == "1" ? (b | mask) : (b & ~mask));
        return u;
    });
    if (wrong)
        err_wrongtype(c.out);
    else if (st != Status::ok)
        status_reply(c, st);
    else
        resp::integer(c.out, old);
}

/// Redis's floats: what strtold reads whole, no spaces, not NaN.
bool parse_ld(std::string_view s, long double& v) {
    if (s.empty() || s.size() > 5000 || std::isspace(static_cast<unsigned char>(s[0])))
        return false;
    std::string z(s);
    char* end = nullptr;
    errno = 0;
    v = std::strtold(z.c_str(), &end);
    return end == z.c_str() + z.size() && errno != ERANGE && !std::isnan(v);
}

/// A long double as Redis writes INCRBYFLOAT's result: 17 decimals, trailing zeros dropped.
std::string format_ld(long double v) {
    std::string r = fmt::format("{:.17f}", v);
    if (r.find('.') != std::string::npos) {
        r.erase(r.find_last_not_of('0') + 1);
        if (r.back() == '.')
            r.pop_back();
    }
    if (r == "-0")
        r = "0";
    return r;
}

void cmd_incrbyfloat(Ctx& c) {
    if (!key_ok(c, c.argv[1]))
        return;
    long double incr = 0;
    Type t{};
    if (c.sh.store.touch(c.argv[1], t) && t != Type::string) {
        err_wrongtype(c.out); // before the increment is read, as Redis
        return;
    }
    if (!parse_ld(c.argv[2], incr)) {
        resp::error(c.out, "ERR value is not a valid float");
        return;
    }
    std::string result;
    bool bad = false, inf = false, wrong = false;
    Status st = c.sh.store.modify(c.argv[1], [&](const Current& cur) {
        Update u;
        long double v = 0;
        if (cur.type != Type::string) {
            wrong = true;
            return u;
        }
        if (cur.found && !parse_ld(cur.value, v)) {
            bad = true;
            return u;
        }
        v += incr;
        if (std::isnan(v) || std::isinf(v)) {
            inf = true;
            return u;
        }
        result = format_ld(v);
        u.action = Update::Action::write;
        u.value = result;
        u.expire_at = cur.expire_at;
        return u;
    });
    if (wrong)
        err_wrongtype(c.out);
    else if (bad)
        resp::error(c.out, "ERR value is not a valid float");
    else if (inf)
        resp::error(c.out, "ERR increment would produce NaN or Infinity");
    else if (st != Status::ok)
        status_reply(c, st);
    else
        resp::bulk(c.out, result);
}

/// MSET's and MSETNX's arguments: key value pairs, each key and value within the limits; an
/// error reply when not.
bool pairs_ok(Ctx& c, std::string_view command) {
    if (c.argv.size() % 2 != 1) {
        resp::error(c.out, fmt::format("ERR wrong number of arguments for '{}' command", command));
        return false;
    }
    for (std::size_t i = 1; i < c.argv.size(); i += 2)
        if (!key_ok(c, c.argv[i]) || !value_ok(c, c.argv[i + 1].size()))
            return false;
    return true;
}

void cmd_msetnx(Ctx& c) {
    if (!pairs_ok(c, "msetnx"))
        return;
    Store::Lock lock(c.sh.store, c.argv.subspan(1), 2);
    Type t{};
    for (std::size_t i = 1; i < c.argv.size(); i += 2)
        if (c.sh.store.touch(c.argv[i], t)) {
            resp::integer(c.out, 0);
            return;
        }
    Status st = c.sh.store.mset(c.argv.subspan(1));
    if (st == Status::ok)
        resp::integer(c.out, 1);
    else
        status_reply(c, st);
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

void expire_generic(Ctx& c, std::int64_t unit_ms, bool absolute, std::string_view name) {
    ExpireCond cond = ExpireCond::always;
    bool nx = false, xx = false, gt = false, lt = false;
    for (std::size_t i = 3; i < c.argv.size(); ++i) {
        std::string_view o = c.argv[i];
        if (iequals(o, "NX"))
            nx = true, cond = ExpireCond::nx;
        else if (iequals(o, "XX"))
            xx = true, cond = ExpireCond::xx;
        else if (iequals(o, "GT"))
            gt = true, cond = ExpireCond::gt;
        else if (iequals(o, "LT"))
            lt = true, cond = ExpireCond::lt;
        else {
            resp::error(c.out, fmt::format("ERR Unsupported option {}", o.substr(0, 128)));
            return;
        }
    }
    if (nx && (xx || gt || lt)) {
        resp::error(c.out, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if (gt && lt) {
        resp::error(c.out, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    if (xx && gt)
        cond = ExpireCond::gt; // XX GT: GT already needs a TTL
    else if (xx && lt)
        cond = ExpireCond::lt; // checked below: LT with XX needs a TTL too
    std::int64_t when = 0;
    if (!parse_i64(c.argv[2], when)) {
        err_not_integer(c.out);
        return;
    }
    constexpr auto max = std::numeric_limits<std::int64_t>::max(), min = std::numeric_limits<std::int64_t>::min();
    if (unit_ms == 1000) {
        if (when > max / 1000 || when < min / 1000) {
            err_expire(c, name);
            return;
        }
        when *= 1000;
    }
    std::int64_t mono_now = c.sh.store.now(), wall_now = wall_now_at(c.sh, mono_now);
    if (!absolute) {
        if (when > max - wall_now) {
            err_expire(c, name);
            return;
        }
        when += wall_now;
    }
    if (xx && lt && c.sh.store.pttl(c.argv[1]) == -1) {
        resp::integer(c.out, 0);
        return;
    }
    Status st = c.sh.store.expire_at(c.argv[1], to_monotonic(when, mono_now, wall_now), cond);
    if (st == Status::ok || st == Status::not_found || st == Status::condition)
        resp::integer(c.out, st == Status::ok ? 1 : 0);
    else
        status_reply(c, st);
}

void cmd_expire(Ctx& c) { expire_generic(c, 1000, false, "expire"); }
void cmd_pexpire(Ctx& c) { expire_generic(c, 1, false, "pexpire"); }
void cmd_expireat(Ctx& c) { expire_generic(c, 1000, true, "expireat"); }
void cmd_pexpireat(Ctx& c) { expire_generic(c, 1, true, "pexpireat"); }

void expiretime_generic(Ctx& c, std::int64_t unit_ms) {
    std::int64_t ms = c.sh.store.pttl(c.argv[1]);
    if (ms < 0) {
        resp::integer(c.out, ms);
        return;
    }
    std::int64_t mono_now = c.sh.store.now();
    resp::integer(c.out, to_wall(mono_now + ms, mono_now, wall_now_at(c.sh, mono_now)) / unit_ms);
}

void cmd_expiretime(Ctx& c) { expiretime_generic(c, 1000); }
void cmd_pexpiretime(Ctx& c) { expiretime_generic(c, 1); }

void cmd_type(Ctx& c) {
    Type t{};
    resp::simple(c.out, c.sh.store.type_of(c.argv[1], t) ? type_name(t) : "none");
}

void cmd_touch(Ctx& c) {
    Store::Lock lock(c.sh.store, c.argv.subspan(1));
    std::int64_t n = 0;
    for (std::size_t i = 1; i < c.argv.size(); ++i)
        c.sh.store.modify(c.argv[i], [&](const Current& cur) {
            n += cur.found;
            return Update{};
        });
    resp::integer(c.out, n);
}

/// RENAME, RENAMENX, COPY: moves or copies src's value and TTL to dst in one step.
/// Returns 1 done, 0 dst exists and replace is false, -1 src missing.
int move_key(Ctx& c, std::string_view src, std::string_view dst, bool replace, bool keep_src, Status& st) {
    std::string_view both[2] = {src, dst};
    Store::Lock lock(c.sh.store, both);
    Value value;
    std::int64_t at = 0;
    Type t{};
    // Both keys are looked up for the move, and so used, whatever comes of it, as in Redis.
    if (!c.sh.store.touch(src, t) || !c.sh.store.snapshot(src, value, at))
        return -1;
    if (c.sh.store.touch(dst, t) && !replace)
        return 0;
    if (src == dst)
        return 1;
    st = c.sh.store.put(dst, value, at);
    if (st != Status::ok)
        return 1;
    if (!keep_src)
        c.sh.store.del(src);
    return 1;
}

void rename_generic(Ctx& c, bool nx) {
    if (!key_ok(c, c.argv[2]))
        return;
    Status st = Status::ok;
    int r = move_key(c, c.argv[1], c.argv[2], !nx, false, st);
    if (r < 0)
        resp::error(c.out, "ERR no such key");
    else if (st != Status::ok)
        status_reply(c, st);
    else if (nx)
        resp::integer(c.out, c.argv[1] == c.argv[2] ? 0 : r);
    else
        resp::simple(c.out, "OK");
}

void cmd_rename(Ctx& c) { rename_generic(c, false); }
void cmd_renamenx(Ctx& c) { rename_generic(c, true); }

void cmd_copy(Ctx& c) {
    bool replace = false;
    for (std::size_t i = 3; i < c.argv.size(); ++i) {
        if (iequals(c.argv[i], "REPLACE")) {
            replace = true;
        } else if (iequals(c.argv[i], "DB") && i + 1 < c.argv.size()) {
            std::int64_t db = 0;
            if (!parse_i64(c.argv[++i], db)) {
                err_not_integer(c.out);
                return;
            }
            if (db != 0) {
                resp::error(c.out, "ERR DB index is out of range");
                return;
            }
        } else {
            err_syntax(c.out);
            return;
        }
    }
    if (c.argv[1] == c.argv[2]) {
        resp::error(c.out, "ERR source and destination objects are the same");
        return;
    }
    if (!key_ok(c, c.argv[2]))
        return;
    Status st = Status::ok;
    int r = move_key(c, c.argv[1], c.argv[2], replace, true, st);
    if (st != Status::ok)
        status_reply(c, st);
    else
        resp::integer(c.out, r > 0 ? 1 : 0);
}

/// Whether ch matches the one-character pattern element at the front of p (?, [...], \c or a
/// character); len is the element's length.  p must not be empty or start with '*'.
bool element_match(std::string_view p, char ch, std::size_t& len, bool nocase) {
    auto fold = [&](char x) { return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(x))) : x; };
    if (p[0] == '?') {
        len = 1;
        return true;
    }
    if (p[0] == '\\' && p.size() >= 2) {
        len = 2;
        return fold(p[1]) == fold(ch);
    }
    if (p[0] != '[') {
        len = 1;
        return fold(p[0]) == fold(ch);
    }
    std::size_t i = 1;
    bool neg = i < p.size() && p[i] == '^';
    if (neg)
        ++i;
    bool match = false;
    char c = fold(ch);
    while (i < p.size() && p[i] != ']') {
        if (p[i] == '\\' && i + 1 < p.size()) {
            match |= fold(p[i + 1]) == c;
            i += 2;
        } else if (i + 2 < p.size() && p[i + 1] == '-') {
            char lo = fold(p[i]), hi = fold(p[i + 2]);
            if (lo > hi)
                std::swap(lo, hi);
            match |= c >= lo && c <= hi;
            i += 3;
        } else {
            match |= fold(p[i]) == c;
            ++i;
        }
    }
    len = i < p.size() ? i + 1 : i; // past the ']', when there is one
    return match != neg;
}

/// Redis's glob: * ? [abc] [^a-z] and \ escapes, on binary strings.  Iterative, going back
/// only to the last '*': time proportional to pattern times string, whatever the pattern
/// (KEYS a*a*a*a*...b must not take exponential time).
bool glob_match(std::string_view p, std::string_view s, bool nocase = false) {
    std::size_t pi = 0, si = 0, star = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
        std::size_t len = 0;
        if (pi < p.size() && p[pi] == '*') {
            star = ++pi;
            star_s = si;
        } else if (pi < p.size() && element_match(p.substr(pi), s[si], len, nocase)) {
            pi += len;
            ++si;
        } else if (star != std::string_view::npos) {
            pi = star;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*')
        ++pi;
    return pi == p.size();
}

void cmd_keys(Ctx& c) {
    std::vector<std::string> keys;
    bool all = c.argv[1] == "*";
    for (unsigned i = 0; i < c.sh.store.shard_count(); ++i)
        c.sh.store.for_each(i, [&](std::string_view k, std::string_view, std::int64_t) {
            if (all || glob_match(c.argv[1], k))
                keys.emplace_back(k);
        });
    resp::array(c.out, keys.size());
    for (const auto& k : keys)
        resp::bulk(c.out, k);
}

/// SCAN's and HSCAN's cursor: an unsigned decimal; false, answered, when it is not one.
bool cursor_arg(Ctx& c, std::string_view a, std::uint64_t& cursor) {
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), cursor);
    if (!a.empty() && ec == std::errc() && end == a.data() + a.size())
        return true;
    resp::error(c.out, "ERR invalid cursor");
    return false;
}

/// SCAN's and HSCAN's options: COUNT, MATCH and (SCAN's only) TYPE.
struct ScanOptions {
    std::string_view pattern, type;
    bool has_pattern = false, has_type = false;
    std::int64_t count = 10;
};

/// Reads the options from argv[first] on; false, answered, when one is wrong.
bool scan_options(Ctx& c, std::size_t first, bool with_type, ScanOptions& o) {
    for (std::size_t i = first; i < c.argv.size(); ++i) {
        bool next = i + 1 < c.argv.size();
        if (next && iequals(c.argv[i], "COUNT")) {
            if (!parse_i64(c.argv[++i], o.count)) {
                err_not_integer(c.out);
                return false;
            }
            if (o.count < 1) {
                err_syntax(c.out);
                return false;
            }
        } else if (next && iequals(c.argv[i], "MATCH")) {
            o.pattern = c.argv[++i];
            o.has_pattern = o.pattern != "*";
        } else if (with_type && next && iequals(c.argv[i], "TYPE")) {
            o.type = c.argv[++i];
            o.has_type = true;
        } else {
            err_syntax(c.out);
            return false;
        }
    }
    return true;
}

void cmd_scan(Ctx& c) {
    std::uint64_t cursor = 0;
    ScanOptions o;
    if (!cursor_arg(c, c.argv[1], cursor) || !scan_options(c, 2, true, o))
        return;
    std::vector<std::string> keys;
    std::uint64_t next = c.sh.store.scan(cursor, static_cast<std::size_t>(o.count), [&](std::string_view k, Type t) {
        if ((!o.has_type || iequals(o.type, type_name(t))) && (!o.has_pattern || glob_match(o.pattern, k)))
            keys.emplace_back(k);
    });
    resp::array(c.out, 2);
    resp::bulk(c.out, std::to_string(next));
    resp::array(c.out, keys.size());
    for (const auto& k : keys)
        resp::bulk(c.out, k);
}

void cmd_randomkey(Ctx& c) {
    std::string k;
    if (c.sh.store.random_key(k))
        resp::bulk(c.out, k);
    else
        nil(c);
}

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
            nil(c);
}

void cmd_mset(Ctx& c) {
    if (!pairs_ok(c, "mset"))
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
    if (!parse_i64(c.argv[2], d)) {
        err_not_integer(c.out);
        return;
    }
    if (d == std::numeric_limits<std::int64_t>::min()) {
        resp::error(c.out, "ERR decrement would overflow");
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

void cmd_strlen(Ctx& c) {
    std::size_t n = 0;
    if (c.sh.store.read(c.argv[1], [&](std::string_view v) { n = v.size(); }) == Status::wrongtype)
        err_wrongtype(c.out);
    else
        resp::integer(c.out, static_cast<std::int64_t>(n));
}
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
    std::vector<std::string> sections;
    for (std::size_t i = 1; i < c.argv.size(); ++i) {
        std::string section(c.argv[i]);
        std::transform(section.begin(), section.end(), section.begin(), [](char ch) { return ch | 0x20; });
        sections.push_back(std::move(section));
    }
    resp::verbatim(c.out, "txt", info_text(c.sh, sections), r3(c));
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

/// CLIENT SETNAME's rule: no spaces, newlines or other characters outside '!'..'~'.
bool name_ok(std::string_view n) {
    return std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
}

void cmd_hello(Ctx& c) {
    std::int64_t ver = 2;
    if (c.argv.size() >= 2) {
        if (!parse_i64(c.argv[1], ver)) {
            resp::error(c.out, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver != 2 && ver != 3) {
            resp::error(c.out, "NOPROTO unsupported protocol version");
            return;
        }
    }
    std::string_view name;
    bool has_name = false;
    for (std::size_t i = 2; i < c.argv.size(); ++i) {
        if (iequals(c.argv[i], "AUTH") && i + 2 < c.argv.size()) {
            bool user_ok = c.argv[i + 1] == "default";
            if (!c.sh.auth.required() || !user_ok || !c.sh.auth.check(c.argv[i + 2])) {
                resp::error(c.out, "WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            c.authed = true;
            i += 2;
        } else if (iequals(c.argv[i], "SETNAME") && i + 1 < c.argv.size()) {
            name = c.argv[++i];
            has_name = true;
            if (!name_ok(name)) {
                resp::error(c.out, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        } else {
            resp::error(c.out, fmt::format("ERR Syntax error in HELLO option '{}'", c.argv[i].substr(0, 128)));
            return;
        }
    }
    if (!c.authed) {
        resp::error(c.out, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                           "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                           "select the RESP protocol version at the same time");
        return;
    }
    if (has_name)
        c.client.name.assign(name);
    if (c.argv.size() >= 2)
        c.client.resp = static_cast<int>(ver);
    resp::map(c.out, 7, r3(c));
    resp::bulk(c.out, "server");
    resp::bulk(c.out, "redis");
    resp::bulk(c.out, "version");
    resp::bulk(c.out, "7.0.0");
    resp::bulk(c.out, "proto");
    resp::integer(c.out, c.client.resp);
    resp::bulk(c.out, "id");
    resp::integer(c.out, static_cast<std::int64_t>(c.client.id));
    resp::bulk(c.out, "mode");
    resp::bulk(c.out, "standalone");
    resp::bulk(c.out, "role");
    resp::bulk(c.out, "master");
    resp::bulk(c.out, "modules");
    resp::array(c.out, 0);
}

/// CLIENT LIST [TYPE normal] [ID id ...]: a line per connected client.
void client_list(Ctx& c) {
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 2; i < c.argv.size(); ++i) {
        if (iequals(c.argv[i], "TYPE") && i + 1 < c.argv.size()) {
            if (!iequals(c.argv[++i], "normal")) {
                // Every client of cachenode is a normal one: no replicas, no Pub/Sub.
                if (!iequals(c.argv[i], "master") && !iequals(c.argv[i], "replica") && !iequals(c.argv[i], "pubsub")) {
                    resp::error(c.out, fmt::format("ERR Unknown client type '{}'", c.argv[i].substr(0, 128)));
                    return;
                }
                resp::verbatim(c.out, "txt", "", r3(c));
                return;
            }
        } else if (iequals(c.argv[i], "ID") && i + 1 < c.argv.size()) {
            while (++i < c.argv.size()) {
                std::int64_t id = 0;
                if (!parse_i64(c.argv[i], id) || id <= 0) {
                    resp::error(c.out, "ERR Invalid client ID");
                    return;
                }
                ids.push_back(static_cast<std::uint64_t>(id));
            }
        } else {
            err_syntax(c.out);
            return;
        }
    }
    std::string text;
    {
        std::lock_guard lock(c.sh.clients.mu);
        std::vector<RespSession*> all;
        for (const auto& [id, session] : c.sh.clients.all)
            if (ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end())
                all.push_back(session);
        std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
        for (RespSession* session : all)
            text += (session == &c.self ? c.self.describe() : session->describe()) + "\n";
    }
    resp::verbatim(c.out, "txt", text, r3(c));
}

/// CLIENT KILL ADDR:PORT, or CLIENT KILL with filters (ID, ADDR, LADDR, TYPE, USER, SKIPME).
void client_kill(Ctx& c) {
    if (c.argv.size() == 3) {
        std::lock_guard lock(c.sh.clients.mu);
        for (const auto& [id, session] : c.sh.clients.all)
            if (session->peer() == c.argv[2]) {
                session->kill();
                resp::simple(c.out, "OK");
                return;
            }
        resp::error(c.out, "ERR No such client");
        return;
    }
    if (c.argv.size() < 3 || c.argv.size() % 2 != 0) {
        err_syntax(c.out);
        return;
    }
    std::optional<std::uint64_t> id;
    std::optional<std::string_view> addr, laddr;
    bool skipme = true, none = false;
    for (std::size_t i = 2; i < c.argv.size(); i += 2) {
        std::string_view k = c.argv[i], v = c.argv[i + 1];
        std::int64_t n = 0;
        if (iequals(k, "ID")) {
            if (!parse_i64(v, n) || n <= 0) {
                resp::error(c.out, "ERR client-id should be greater than 0");
                return;
            }
            id = static_cast<std::uint64_t>(n);
        } else if (iequals(k, "ADDR")) {
            addr = v;
        } else if (iequals(k, "LADDR")) {
            laddr = v;
        } else if (iequals(k, "TYPE")) {
            if (!iequals(v, "normal") && !iequals(v, "master") && !iequals(v, "replica") && !iequals(v, "pubsub")) {
                resp::error(c.out, fmt::format("ERR Unknown client type '{}'", v.substr(0, 128)));
                return;
            }
            none |= !iequals(v, "normal");
        } else if (iequals(k, "USER")) {
            none |= v != "default";
        } else if (iequals(k, "SKIPME")) {
            if (!iequals(v, "yes") && !iequals(v, "no")) {
                err_syntax(c.out);
                return;
            }
            skipme = iequals(v, "yes");
        } else {
            err_syntax(c.out);
            return;
        }
    }
    std::int64_t killed = 0;
    if (!none) {
        std::lock_guard lock(c.sh.clients.mu);
        for (const auto& [cid, session] : c.sh.clients.all) {
            if ((id && cid != *id) || (addr && session->peer() != *addr) || (laddr && session->local() != *laddr) ||
                (skipme && session == &c.self))
                continue;
            session->kill();
            ++killed;
        }
    }
    resp::integer(c.out, killed);
}

void cmd_client(Ctx& c) {
    std::string_view sub = c.argv[1];
    // Each subcommand's arity was checked before (execute()).
    if (iequals(sub, "ID")) {
        resp::integer(c.out, static_cast<std::int64_t>(c.client.id));
    } else if (iequals(sub, "GETNAME")) {
        if (c.client.name.empty())
            nil(c);
        else
            resp::bulk(c.out, c.client.name);
    } else if (iequals(sub, "SETNAME")) {
        if (!name_ok(c.argv[2])) {
            resp::error(c.out, "ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        c.client.name.assign(c.argv[2]);
        resp::simple(c.out, "OK");
    } else if (iequals(sub, "INFO")) {
        resp::verbatim(c.out, "txt", c.self.describe() + "\n", r3(c));
    } else if (iequals(sub, "LIST")) {
        client_list(c);
    } else if (iequals(sub, "KILL")) {
        client_kill(c);
    } else if (iequals(sub, "REPLY")) {
        if (iequals(c.argv[2], "ON")) {
            c.client.reply = ClientState::Reply::on;
            resp::simple(c.out, "OK");
        } else if (iequals(c.argv[2], "OFF")) {
            c.client.reply = ClientState::Reply::off;
        } else if (iequals(c.argv[2], "SKIP")) {
            c.client.reply = ClientState::Reply::skip;
        } else {
            err_syntax(c.out);
        }
    } else if (iequals(sub, "PAUSE")) {
        if (c.argv.size() != 3 && c.argv.size() != 4) {
            resp::error(c.out, fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                                           sub.substr(0, 128)));
            return;
        }
        std::int64_t ms = 0;
        if (!parse_i64(c.argv[2], ms)) {
            resp::error(c.out, "ERR timeout is not an integer or out of range");
            return;
        }
        if (ms < 0) {
            resp::error(c.out, "ERR timeout is negative");
            return;
        }
        auto mode = Shared::Pause::all;
        if (c.argv.size() == 4) {
            if (iequals(c.argv[3], "WRITE")) {
                mode = Shared::Pause::write;
            } else if (!iequals(c.argv[3], "ALL")) {
                resp::error(c.out, "ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        auto& p = c.sh.pause;
        std::lock_guard lock(p.mu);
        std::int64_t now = monotonic_ms(), end = now > std::numeric_limits<std::int64_t>::max() - ms
                                                    ? std::numeric_limits<std::int64_t>::max()
                                                    : now + ms;
        // As Redis: a pause under way is lengthened, never shortened, and WRITE does not
        // weaken ALL.
        if (p.end_ms.load() > now) {
            end = std::max(end, p.end_ms.load());
            mode = std::max(mode, p.mode.load());
        }
        p.mode.store(mode);
        p.end_ms.store(end);
        resp::simple(c.out, "OK");
    } else if (iequals(sub, "UNPAUSE")) {
        std::lock_guard lock(c.sh.pause.mu);
        c.sh.pause.end_ms.store(0);
        c.sh.pause.mode.store(Shared::Pause::none);
        resp::simple(c.out, "OK");
    } else if (iequals(sub, "HELP")) {
        resp::help(c.out, "CLIENT",
                   {"ID", "    Give this connection's id, unique for the server's lifetime.", "GETNAME",
                    "    Give the name CLIENT SETNAME or HELLO gave this connection, or a null.", "SETNAME <name>",
                    "    Name this connection (no spaces or special characters); an empty name removes it.", "INFO",
                    "    Describe this connection in one CLIENT LIST line.", "LIST [TYPE <type>] [ID <id> [<id> ...]]",
                    "    Describe every connection, or those of a type or with the ids given, a line each.",
                    "KILL <ip:port>", "    Close the connection coming from <ip:port>.",
                    "KILL <filter> <value> [<filter> <value> ...]",
                    "    Close every connection matching all the filters, and count them. Filters:",
                    "    * ID <id>", "    * ADDR <ip:port>     where the connection comes from",
                    "    * LADDR <ip:port>    the address of this server it reached",
                    "    * TYPE <type>        (NORMAL|MASTER|REPLICA|PUBSUB): all clients are NORMAL",
                    "    * USER <username>    all clients are 'default'",
                    "    * SKIPME (YES|NO)    spare this connection (the default, YES)",
                    "REPLY (ON|OFF|SKIP)", "    Turn this connection's replies on or off, or drop the next one only.",
                    "PAUSE <timeout> [WRITE|ALL]",
                    "    Hold back every client's commands, or only those that write, for <timeout> ms.", "UNPAUSE",
                    "    End a pause now.", "NO-EVICT (ON|OFF)",
                    "    Accepted for Redis's clients: eviction never depends on the connection."});
    } else {
        // NO-EVICT, the one left (execute() found the subcommand in the table).  Every client
        // is served alike: eviction never looks at who asks.
        if (iequals(c.argv[2], "ON") || iequals(c.argv[2], "OFF"))
            resp::simple(c.out, "OK");
        else
            err_syntax(c.out);
    }
}

void cmd_time(Ctx& c) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    resp::array(c.out, 2);
    resp::bulk(c.out, std::to_string(ts.tv_sec));
    resp::bulk(c.out, std::to_string(ts.tv_nsec / 1000));
}

/// LASTSAVE: nothing is ever saved, so the time the server started, as Redis answers before
/// its first save.
void cmd_lastsave(Ctx& c) {
    resp::integer(c.out, static_cast<std::int64_t>(wall_ms() / 1000 - c.sh.stats.uptime_s()));
}

/// SAVE, BGSAVE and BGREWRITEAOF: where Redis (even with --save "" --appendonly no) writes a
/// file, cachenode has none to write, and says so rather than answering as if it had.
void cmd_save(Ctx& c) {
    if (iequals(c.argv[0], "bgsave") && c.argv.size() == 2 && !iequals(c.argv[1], "SCHEDULE"))
        return err_syntax(c.out);
    if (c.argv.size() > 2)
        return err_syntax(c.out);
    std::string name(c.argv[0]);
    std::transform(name.begin(), name.end(), name.begin(), [](char ch) { return static_cast<char>(ch & ~0x20); });
    resp::error(c.out, fmt::format("ERR {} is not supported: cachenode has no persistence, there is no file to write",
                                   name));
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] | SHUTDOWN ABORT, with Redis's syntax: the same
/// graceful stop as SIGTERM (the signal is sent to this process, whose first loop handles it),
/// and the connection closes without a reply, as Redis's does.  There is nothing to save, so
/// SAVE is refused unless FORCE (which in Redis exits even when saving failed) comes with it;
/// there are no replicas to wait for, so NOW changes nothing and no stop is ever pending for
/// ABORT to cancel.
void cmd_shutdown(Ctx& c) {
    bool save = false, nosave = false, force = false, abort = false, other = false;
    for (std::size_t i = 1; i < c.argv.size(); ++i) {
        std::string_view a = c.argv[i];
        if (iequals(a, "NOSAVE"))
            nosave = true;
        else if (iequals(a, "SAVE"))
            save = true;
        else if (iequals(a, "NOW"))
            other = true;
        else if (iequals(a, "FORCE"))
            force = other = true;
        else if (iequals(a, "ABORT"))
            abort = true;
        else
            return err_syntax(c.out);
    }
    if ((abort && (save || nosave || other)) || (save && nosave))
        return err_syntax(c.out);
    if (abort)
        return resp::error(c.out, "ERR No shutdown in progress.");
    if (save && !force)
        return resp::error(c.out, "ERR Errors trying to SHUTDOWN: cachenode has no persistence, SAVE cannot save "
                                  "(SHUTDOWN NOSAVE, or SAVE FORCE, stops without saving)");
    kill(getpid(), SIGTERM);
    c.quit = true;
}

void cmd_swapdb(Ctx& c) { resp::error(c.out, "ERR SWAPDB is not supported: cachenode has a single database"); }

/// FUNCTION FLUSH: there are no functions, so there is nothing to flush; tools that reset a
/// server before a test send it.
void cmd_function(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    if (iequals(c.argv[1], "HELP")) {
        resp::help(c.out, "FUNCTION", {"FLUSH [ASYNC|SYNC]", "    Remove every function: there are none to remove."});
        return;
    }
    // FLUSH, in Redis's words.
    if (c.argv.size() > 3) {
        resp::error(c.out, fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION "
                                       "HELP.",
                                       c.argv[1].substr(0, 128)));
        return;
    }
    if (c.argv.size() == 3 && !iequals(c.argv[2], "ASYNC") && !iequals(c.argv[2], "SYNC")) {
        resp::error(c.out, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    resp::simple(c.out, "OK");
}

void cmd_reset(Ctx& c) {
    c.client = ClientState{c.client.id, {}, ClientState::Reply::on};
    if (c.sh.auth.required())
        c.authed = false;
    resp::simple(c.out, "RESET");
}

// Hashes (Redis's t_hash.c): each command one step on the key's hash under its shard's lock.

/// A hash command's reply when the key is missing or not a hash: wrongtype answered, else
/// the empty reply f gives; true when st is ok and the command goes on.
template <class F>
bool hash_found(Ctx& c, Status st, F&& empty) {
    if (st == Status::ok)
        return true;
    if (st == Status::not_found)
        empty();
    else
        status_reply(c, st);
    return false;
}

/// Field value pairs of HSET and HMSET, from argv[2]: each within the value limit.
bool field_pairs_ok(Ctx& c, std::string_view command, std::size_t& growth) {
    if (c.argv.size() % 2 != 0) {
        resp::error(c.out, fmt::format("ERR wrong number of arguments for '{}' command", command));
        return false;
    }
    if (!key_ok(c, c.argv[1]))
        return false;
    growth = 0;
    for (std::size_t i = 2; i < c.argv.size(); i += 2) {
        if (!value_ok(c, c.argv[i].size()) || !value_ok(c, c.argv[i + 1].size()))
            return false;
        growth += Hash::growth(c.argv[i].size(), c.argv[i + 1].size());
    }
    return true;
}

void hset_generic(Ctx& c, bool count_new) {
    std::size_t growth = 0;
    if (!field_pairs_ok(c, count_new ? "hset" : "hmset", growth))
        return;
    std::int64_t added = 0;
    Status st = c.sh.store.modify_hash(c.argv[1], growth, true, [&](Hash& h) {
        for (std::size_t i = 2; i < c.argv.size(); i += 2)
            added += h.set(c.argv[i], c.argv[i + 1]);
    });
    if (st != Status::ok)
        status_reply(c, st);
    else if (count_new)
        resp::integer(c.out, added);
    else
        resp::simple(c.out, "OK");
}

void cmd_hset(Ctx& c) { hset_generic(c, true); }
void cmd_hmset(Ctx& c) { hset_generic(c, false); }

void cmd_hsetnx(Ctx& c) {
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()) || !value_ok(c, c.argv[3].size()))
        return;
    bool added = false;
    Status st = c.sh.store.modify_hash(c.argv[1], Hash::growth(c.argv[2].size(), c.argv[3].size()), true,
                                       [&](Hash& h) {
                                           std::string_view v;
                                           if (!h.get(c.argv[2], v))
                                               added = h.set(c.argv[2], c.argv[3]);
                                       });
    if (st != Status::ok)
        status_reply(c, st);
    else
        resp::integer(c.out, added ? 1 : 0);
}

void cmd_hget(Ctx& c) {
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        std::string_view v;
        if (h.get(c.argv[2], v))
            resp::bulk(c.out, v);
        else
            nil(c);
    });
    hash_found(c, st, [&] { nil(c); });
}

void cmd_hmget(Ctx& c) {
    std::size_t n = c.argv.size() - 2;
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        resp::array(c.out, n);
        for (std::size_t i = 2; i < c.argv.size(); ++i) {
            std::string_view v;
            if (h.get(c.argv[i], v))
                resp::bulk(c.out, v);
            else
                nil(c);
        }
    });
    hash_found(c, st, [&] {
        resp::array(c.out, n);
        for (std::size_t i = 0; i < n; ++i)
            nil(c);
    });
}

void cmd_hdel(Ctx& c) {
    std::int64_t n = 0;
    Status st = c.sh.store.modify_hash(c.argv[1], 0, false, [&](Hash& h) {
        for (std::size_t i = 2; i < c.argv.size(); ++i)
            n += h.erase(c.argv[i]);
    });
    if (hash_found(c, st, [&] { resp::integer(c.out, 0); }))
        resp::integer(c.out, n);
}

void cmd_hexists(Ctx& c) {
    bool found = false;
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        std::string_view v;
        found = h.get(c.argv[2], v);
    });
    if (hash_found(c, st, [&] { resp::integer(c.out, 0); }))
        resp::integer(c.out, found ? 1 : 0);
}

void cmd_hlen(Ctx& c) {
    std::size_t n = 0;
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) { n = h.size(); });
    if (hash_found(c, st, [&] { resp::integer(c.out, 0); }))
        resp::integer(c.out, static_cast<std::int64_t>(n));
}

void cmd_hstrlen(Ctx& c) {
    std::size_t n = 0;
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        std::string_view v;
        if (h.get(c.argv[2], v))
            n = v.size();
    });
    if (hash_found(c, st, [&] { resp::integer(c.out, 0); }))
        resp::integer(c.out, static_cast<std::int64_t>(n));
}

/// HKEYS, HVALS, HGETALL: what of each field goes into the reply.
void hash_all(Ctx& c, bool fields, bool values) {
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        if (fields && values)
            resp::map(c.out, h.size(), r3(c));
        else
            resp::array(c.out, h.size());
        h.for_each([&](std::string_view f, std::string_view v) {
            if (fields)
                resp::bulk(c.out, f);
            if (values)
                resp::bulk(c.out, v);
        });
    });
    hash_found(c, st, [&] {
        if (fields && values)
            resp::map(c.out, 0, r3(c));
        else
            resp::array(c.out, 0);
    });
}

void cmd_hkeys(Ctx& c) { hash_all(c, true, false); }
void cmd_hvals(Ctx& c) { hash_all(c, false, true); }
void cmd_hgetall(Ctx& c) { hash_all(c, true, true); }

void cmd_hincrby(Ctx& c) {
    std::int64_t incr = 0;
    if (!parse_i64(c.argv[3], incr)) {
        err_not_integer(c.out);
        return;
    }
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    std::int64_t result = 0;
    const char* error = nullptr;
    Status st = c.sh.store.modify_hash(c.argv[1], Hash::growth(c.argv[2].size(), 20), true, [&](Hash& h) {
        std::string_view v;
        std::int64_t cur = 0;
        if (h.get(c.argv[2], v) && !parse_i64(v, cur)) {
            error = "ERR hash value is not an integer";
            return;
        }
        if ((incr < 0 && cur < 0 && incr < std::numeric_limits<std::int64_t>::min() - cur) ||
            (incr > 0 && cur > 0 && incr > std::numeric_limits<std::int64_t>::max() - cur)) {
            error = "ERR increment or decrement would overflow";
            return;
        }
        result = cur + incr;
        h.set(c.argv[2], std::to_string(result));
    });
    if (error)
        resp::error(c.out, error);
    else if (st != Status::ok)
        status_reply(c, st);
    else
        resp::integer(c.out, result);
}

void cmd_hincrbyfloat(Ctx& c) {
    long double incr = 0;
    if (!parse_ld(c.argv[3], incr)) {
        resp::error(c.out, "ERR value is not a valid float");
        return;
    }
    if (std::isinf(incr)) {
        resp::error(c.out, "ERR value is NaN or Infinity");
        return;
    }
    if (!key_ok(c, c.argv[1]) || !value_ok(c, c.argv[2].size()))
        return;
    std::string result;
    const char* error = nullptr;
    Status st = c.sh.store.modify_hash(c.argv[1], Hash::growth(c.argv[2].size(), 48), true, [&](Hash& h) {
        std::string_view v;
        long double cur = 0;
        if (h.get(c.argv[2], v) && !parse_ld(v, cur)) {
            error = "ERR hash value is not a float";
            return;
        }
        cur += incr;
        if (std::isnan(cur) || std::isinf(cur)) {
            error = "ERR increment would produce NaN or Infinity";
            return;
        }
        result = format_ld(cur);
        h.set(c.argv[2], result);
    });
    if (error)
        resp::error(c.out, error);
    else if (st != Status::ok)
        status_reply(c, st);
    else
        resp::bulk(c.out, result);
}

/// The xorshift state HRANDFIELD draws from: one per thread, seeded from the clock.
std::uint64_t& random_state() {
    thread_local std::uint64_t state =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
    return state;
}

void cmd_hrandfield(Ctx& c) {
    if (c.argv.size() == 2) {
        Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
            std::string_view f, v;
            h.random(random_state(), f, v);
            resp::bulk(c.out, f);
        });
        hash_found(c, st, [&] { nil(c); });
        return;
    }
    std::int64_t count = 0;
    if (!parse_i64(c.argv[2], count) || count == std::numeric_limits<std::int64_t>::min()) {
        resp::error(c.out, count == std::numeric_limits<std::int64_t>::min()
                               ? "ERR value is out of range, value must between -9223372036854775807 and "
                                 "9223372036854775807"
                               : "ERR value is not an integer or out of range");
        return;
    }
    bool with_values = false;
    if (c.argv.size() > 4 || (c.argv.size() == 4 && !iequals(c.argv[3], "WITHVALUES"))) {
        err_syntax(c.out);
        return;
    }
    if (c.argv.size() == 4) {
        with_values = true;
        if (count < -std::numeric_limits<std::int64_t>::max() / 2 ||
            count > std::numeric_limits<std::int64_t>::max() / 2) {
            resp::error(c.out, "ERR value is out of range");
            return;
        }
    }
    auto pair = [&](std::string_view f, std::string_view v) {
        if (with_values && r3(c))
            resp::array(c.out, 2);
        resp::bulk(c.out, f);
        if (with_values)
            resp::bulk(c.out, v);
    };
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        std::uint64_t& rng = random_state();
        std::size_t n = count < 0 ? static_cast<std::size_t>(-count) : static_cast<std::size_t>(count);
        std::size_t elements = with_values && !r3(c) ? 2 : 1;
        if (count < 0 || n == 1) {
            // With repetitions: each drawn on its own.
            resp::array(c.out, n * elements);
            for (std::size_t i = 0; i < n; ++i) {
                std::string_view f, v;
                h.random(rng, f, v);
                pair(f, v);
            }
            return;
        }
        std::vector<std::pair<std::string_view, std::string_view>> all;
        all.reserve(h.size());
        h.for_each([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
        n = std::min(n, all.size());
        // The first n of a Fisher-Yates shuffle: n distinct fields in random order.
        for (std::size_t i = 0; i < n; ++i) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            std::swap(all[i], all[i + rng % (all.size() - i)]);
        }
        resp::array(c.out, n * elements);
        for (std::size_t i = 0; i < n; ++i)
            pair(all[i].first, all[i].second);
    });
    hash_found(c, st, [&] { resp::array(c.out, 0); });
}

void cmd_hscan(Ctx& c) {
    std::uint64_t cursor = 0;
    if (!cursor_arg(c, c.argv[2], cursor))
        return;
    // As Redis: a missing key is an empty scan and a string WRONGTYPE before the options are read.
    Type t{};
    if (!c.sh.store.touch(c.argv[1], t)) {
        resp::array(c.out, 2);
        resp::bulk(c.out, "0");
        resp::array(c.out, 0);
        return;
    }
    if (t != Type::hash) {
        err_wrongtype(c.out);
        return;
    }
    ScanOptions o;
    if (!scan_options(c, 3, false, o))
        return;
    std::vector<std::string> items;
    std::uint64_t next = 0;
    Status st = c.sh.store.read_hash(c.argv[1], [&](const Hash& h) {
        next = h.scan(cursor, static_cast<std::size_t>(o.count), [&](std::string_view f, std::string_view v) {
            if (o.has_pattern && !glob_match(o.pattern, f))
                return;
            items.emplace_back(f);
            items.emplace_back(v);
        });
    });
    if (st != Status::ok && st != Status::not_found) {
        status_reply(c, st);
        return;
    }
    resp::array(c.out, 2);
    resp::bulk(c.out, std::to_string(next));
    resp::array(c.out, items.size());
    for (const auto& s : items)
        resp::bulk(c.out, s);
}

// Keys as a whole: DUMP, RESTORE, OBJECT, MEMORY USAGE.

void cmd_dump(Ctx& c) {
    Value v;
    std::int64_t at = 0;
    if (!c.sh.store.snapshot(c.argv[1], v, at)) {
        nil(c);
        return;
    }
    std::string payload;
    dump::encode(v, payload);
    resp::bulk(c.out, payload);
}

void cmd_restore(Ctx& c) {
    bool replace = false, absttl = false, idle = false, freq = false;
    std::int64_t idle_seconds = 0;
    for (std::size_t i = 4; i < c.argv.size(); ++i) {
        bool more = i + 1 < c.argv.size();
        std::int64_t n = 0;
        if (iequals(c.argv[i], "REPLACE")) {
            replace = true;
        } else if (iequals(c.argv[i], "ABSTTL")) {
            absttl = true;
        } else if (iequals(c.argv[i], "IDLETIME") && more && !freq) {
            if (!parse_i64(c.argv[++i], n)) {
                err_not_integer(c.out);
                return;
            }
            if (n < 0) {
                resp::error(c.out, "ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            idle = true;
            idle_seconds = n;
        } else if (iequals(c.argv[i], "FREQ") && more && !idle) {
            if (!parse_i64(c.argv[++i], n)) {
                err_not_integer(c.out);
                return;
            }
            if (n < 0 || n > 255) {
                resp::error(c.out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            freq = true;
        } else {
            err_syntax(c.out);
            return;
        }
    }
    if (!key_ok(c, c.argv[1]))
        return;
    Type t{};
    if (!replace && c.sh.store.touch(c.argv[1], t)) {
        resp::error(c.out, "BUSYKEY Target key name already exists.");
        return;
    }
    std::int64_t ttl = 0;
    if (!parse_i64(c.argv[2], ttl)) {
        err_not_integer(c.out);
        return;
    }
    if (ttl < 0) {
        resp::error(c.out, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    Value v;
    switch (dump::decode(c.argv[3], v)) {
    case dump::Decode::ok:
        break;
    case dump::Decode::bad_checksum:
        resp::error(c.out, "ERR DUMP payload version or checksum are wrong");
        return;
    case dump::Decode::bad_format:
        resp::error(c.out, "ERR Bad data format");
        return;
    }
    std::int64_t at = 0;
    if (ttl) {
        std::int64_t mono_now = c.sh.store.now(), wall_now = wall_now_at(c.sh, mono_now);
        std::int64_t wall_at = ttl;
        if (!absttl && __builtin_add_overflow(ttl, wall_now, &wall_at))
            wall_at = std::numeric_limits<std::int64_t>::max();
        at = to_monotonic(wall_at, mono_now, wall_now);
        // A deadline already past: the key is deleted (REPLACE) and not restored, as Redis does.
        if (at <= mono_now) {
            c.sh.store.del(c.argv[1]);
            resp::simple(c.out, "OK");
            return;
        }
    }
    Status st = c.sh.store.put(c.argv[1], v, at);
    if (st == Status::ok && idle)
        c.sh.store.set_idle_time(c.argv[1], static_cast<std::uint64_t>(idle_seconds));
    status_reply(c, st);
}

/// OBJECT ENCODING's answer for a string, by Redis's rules: an integer it would keep as a
/// number, a short string in one allocation with its header, a longer one.
const char* string_encoding(std::string_view v) {
    std::int64_t n = 0;
    if (v.size() <= 20 && parse_i64(v, n))
        return "int";
    return v.size() <= 44 ? "embstr" : "raw";
}

void cmd_object(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    std::string_view sub = c.argv[1];
    if (iequals(sub, "HELP")) {
        resp::help(c.out, "OBJECT",
                   {"ENCODING <key>", "    Return the kind of internal representation Redis would use.", "FREQ <key>",
                    "    Return the access frequency (under the s3fifo policy).", "IDLETIME <key>",
                    "    Return the seconds since the key was last read or written.", "REFCOUNT <key>",
                    "    Return the number of references of the value (always 1)."});
        return;
    }
    // OBJECT looks without using the key: neither its access time nor the hit counters change.
    std::string encoding;
    if (!c.sh.store.inspect(c.argv[2], [&](const Current& cur) {
            encoding = cur.type == Type::hash ? cur.hash->encoding() : string_encoding(cur.value);
        })) {
        nil(c);
        return;
    }
    if (iequals(sub, "ENCODING")) {
        resp::bulk(c.out, encoding);
    } else if (iequals(sub, "REFCOUNT")) {
        resp::integer(c.out, 1);
    } else if (iequals(sub, "FREQ")) {
        unsigned f = 0;
        if (c.sh.store.policy() != Policy::s3fifo || !c.sh.store.frequency(c.argv[2], f))
            resp::error(c.out, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                               "cachenode counts accesses only under --eviction s3fifo.");
        else
            resp::integer(c.out, f);
    } else if (c.sh.store.policy() == Policy::s3fifo) {
        // Redis keeps either the access time or the frequency, and refuses this under LFU;
        // s3fifo is the policy that counts accesses.
        resp::error(c.out, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                           "cachenode counts accesses instead under --eviction s3fifo.");
    } else {
        std::uint32_t idle = 0;
        if (c.sh.store.idle_time(c.argv[2], idle))
            resp::integer(c.out, idle);
        else
            nil(c);
    }
}

void cmd_memory(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    if (iequals(c.argv[1], "HELP")) {
        resp::help(c.out, "MEMORY",
                   {"USAGE <key> [SAMPLES <count>]",
                    "    Give the bytes a key and its value take, counted whole (SAMPLES is accepted and ignored).",
                    "STATS", "    Give the memory the keys take, the limit, and the process's resident size."});
        return;
    }
    if (iequals(c.argv[1], "USAGE")) {
        for (std::size_t i = 3; i < c.argv.size(); ++i) {
            std::int64_t n = 0;
            if (!iequals(c.argv[i], "SAMPLES") || i + 1 >= c.argv.size()) {
                err_syntax(c.out);
                return;
            }
            if (!parse_i64(c.argv[++i], n)) {
                err_not_integer(c.out);
                return;
            }
        }
        std::size_t bytes = c.sh.store.memory_usage(c.argv[2]);
        if (bytes == 0)
            nil(c);
        else
            resp::integer(c.out, static_cast<std::int64_t>(bytes));
        return;
    }
    // STATS.
    StoreStats st = c.sh.stats.store_stats();
    std::size_t rss = resident_bytes();
    resp::map(c.out, 6, r3(c));
    resp::bulk(c.out, "total.allocated");
    resp::integer(c.out, static_cast<std::int64_t>(st.used));
    resp::bulk(c.out, "keys.count");
    resp::integer(c.out, static_cast<std::int64_t>(st.keys));
    resp::bulk(c.out, "keys.bytes-per-key");
    resp::integer(c.out, st.keys ? static_cast<std::int64_t>(st.used / st.keys) : 0);
    resp::bulk(c.out, "dataset.bytes");
    resp::integer(c.out, static_cast<std::int64_t>(st.used));
    resp::bulk(c.out, "maxmemory");
    resp::integer(c.out, static_cast<std::int64_t>(st.limit));
    resp::bulk(c.out, "rss-bytes");
    resp::integer(c.out, static_cast<std::int64_t>(rss));
}

/// proto-max-bulk-len: as CONFIG SET made it, else the largest key or value the command line
/// allows (larger arguments reach the command, which refuses them in its own words).
std::size_t proto_max_bulk_len(const Shared& sh) {
    std::size_t set = sh.max_bulk.load(std::memory_order_relaxed);
    return set ? set : std::max(sh.cfg.store.max_value, sh.cfg.max_key);
}

// LCS, as Redis's: the whole table of prefix lengths, then a walk back from its end.
void cmd_lcs(Ctx& c) {
    std::string a, b;
    Status sa = c.sh.store.read(c.argv[1], [&](std::string_view v) { a.assign(v); });
    Status sb = c.sh.store.read(c.argv[2], [&](std::string_view v) { b.assign(v); });
    if (sa == Status::wrongtype || sb == Status::wrongtype) {
        resp::error(c.out, "ERR The specified keys must contain string values");
        return;
    }
    bool getlen = false, getidx = false, withmatchlen = false;
    std::int64_t minmatchlen = 0;
    for (std::size_t i = 3; i < c.argv.size(); ++i) {
        if (iequals(c.argv[i], "IDX")) {
            getidx = true;
        } else if (iequals(c.argv[i], "LEN")) {
            getlen = true;
        } else if (iequals(c.argv[i], "WITHMATCHLEN")) {
            withmatchlen = true;
        } else if (iequals(c.argv[i], "MINMATCHLEN") && i + 1 < c.argv.size()) {
            if (!parse_i64(c.argv[++i], minmatchlen)) {
                err_not_integer(c.out);
                return;
            }
            minmatchlen = std::max<std::int64_t>(minmatchlen, 0);
        } else {
            err_syntax(c.out);
            return;
        }
    }
    if (getlen && getidx) {
        resp::error(c.out, "ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    std::size_t alen = a.size(), blen = b.size();
    std::uint64_t cells = static_cast<std::uint64_t>(alen + 1) * (blen + 1);
    if (cells * sizeof(std::uint32_t) > proto_max_bulk_len(c.sh)) {
        resp::error(c.out, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    std::vector<std::uint32_t> t(cells, 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return t[j + i * (blen + 1)]; };
    for (std::size_t i = 1; i <= alen; ++i)
        for (std::size_t j = 1; j <= blen; ++j)
            at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    std::uint32_t len = at(alen, blen);
    if (getlen) {
        resp::integer(c.out, len);
        return;
    }
    std::string result(len, '\0'), ranges;
    std::size_t nranges = 0, idx = len, i = alen, j = blen;
    std::size_t astart = alen, aend = 0, bstart = 0, bend = 0;
    while (i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            result[idx - 1] = a[i - 1];
            if (astart == alen) {
                astart = aend = i - 1;
                bstart = bend = j - 1;
            } else if (astart == i && bstart == j) {
                --astart;
                --bstart;
            } else {
                emit = true;
            }
            if (astart == 0 || bstart == 0)
                emit = true;
            --idx, --i, --j;
        } else {
            if (at(i - 1, j) > at(i, j - 1))
                --i;
            else
                --j;
            if (astart != alen)
                emit = true;
        }
        std::size_t match_len = aend - astart + 1;
        if (emit) {
            if (getidx && (minmatchlen == 0 || match_len >= static_cast<std::uint64_t>(minmatchlen))) {
                resp::array(ranges, withmatchlen ? 3 : 2);
                resp::array(ranges, 2);
                resp::integer(ranges, static_cast<std::int64_t>(astart));
                resp::integer(ranges, static_cast<std::int64_t>(aend));
                resp::array(ranges, 2);
                resp::integer(ranges, static_cast<std::int64_t>(bstart));
                resp::integer(ranges, static_cast<std::int64_t>(bend));
                if (withmatchlen)
                    resp::integer(ranges, static_cast<std::int64_t>(match_len));
                ++nranges;
            }
            astart = alen;
        }
    }
    if (!getidx) {
        resp::bulk(c.out, result);
        return;
    }
    resp::map(c.out, 2, r3(c));
    resp::bulk(c.out, "matches");
    resp::array(c.out, nranges);
    c.out += ranges;
    resp::bulk(c.out, "len");
    resp::integer(c.out, len);
}

void cmd_slowlog(Ctx& c) {
    std::string_view sub = c.argv[1];
    SlowLog& log = c.sh.slowlog;
    if (iequals(sub, "HELP")) {
        resp::help(c.out, "SLOWLOG",
                   {"GET [<count>]", "    Give the <count> newest entries (10; -1 for all): id, time, duration in "
                                     "microseconds, command, client address and name.",
                    "LEN", "    Give the number of entries.", "RESET", "    Remove every entry."});
    } else if (iequals(sub, "GET") && c.argv.size() <= 3) {
        std::int64_t count = 10;
        if (c.argv.size() == 3 && (!parse_i64(c.argv[2], count) || count < -1)) {
            resp::error(c.out, "ERR count should be greater than or equal to -1");
            return;
        }
        std::lock_guard lock(log.mu);
        std::size_t n = count < 0 ? log.entries.size() : std::min<std::size_t>(log.entries.size(), count);
        resp::array(c.out, n);
        for (std::size_t i = 0; i < n; ++i) {
            const SlowEntry& e = log.entries[i];
            resp::array(c.out, 6);
            resp::integer(c.out, static_cast<std::int64_t>(e.id));
            resp::integer(c.out, e.time_s);
            resp::integer(c.out, static_cast<std::int64_t>(e.usec));
            resp::array(c.out, e.args.size());
            for (const auto& a : e.args)
                resp::bulk(c.out, a);
            resp::bulk(c.out, e.addr);
            resp::bulk(c.out, e.name);
        }
    } else if (iequals(sub, "LEN") && c.argv.size() == 2) {
        std::lock_guard lock(log.mu);
        resp::integer(c.out, static_cast<std::int64_t>(log.entries.size()));
    } else if (iequals(sub, "RESET") && c.argv.size() == 2) {
        std::lock_guard lock(log.mu);
        log.entries.clear();
        resp::simple(c.out, "OK");
    } else {
        resp::error(c.out, fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.",
                                       sub.substr(0, 128)));
    }
}

void cmd_latency(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    LatencyEvent& ev = c.sh.latency;
    if (iequals(c.argv[1], "HELP")) {
        resp::help(c.out, "LATENCY",
                   {"LATEST", "    Give the 'command' event: when it last happened, its latest and longest time in ms.",
                    "RESET [<event> ...]", "    Forget the events named ('command' is the only one), or all."});
    } else if (iequals(c.argv[1], "LATEST")) {
        std::lock_guard lock(ev.mu);
        if (ev.latest_time_s == 0) {
            resp::array(c.out, 0);
            return;
        }
        resp::array(c.out, 1);
        resp::array(c.out, 4);
        resp::bulk(c.out, "command");
        resp::integer(c.out, ev.latest_time_s);
        resp::integer(c.out, static_cast<std::int64_t>(ev.latest_ms));
        resp::integer(c.out, static_cast<std::int64_t>(ev.max_ms));
    } else {
        // RESET [event ...]
        bool ours = c.argv.size() == 2;
        for (std::size_t i = 2; i < c.argv.size(); ++i)
            ours |= c.argv[i] == "command";
        std::lock_guard lock(ev.mu);
        bool had = ours && ev.latest_time_s != 0;
        if (ours)
            ev.latest_time_s = 0, ev.latest_ms = 0, ev.max_ms = 0;
        resp::integer(c.out, had ? 1 : 0);
    }
}

void cmd_command(Ctx& c);
void cmd_config(Ctx& c);

// ---- Redis Cluster's commands (cluster.hpp) ----
// As in Redis, CLUSTER, ASKING, READONLY and READWRITE are in the command table whatever the
// mode, and answer that cluster support is disabled without --cluster; MIGRATE and
// RESTORE-ASKING work in both modes; WAIT and ROLE exist only with --cluster.

/// Without --cluster: the error of Redis's cluster commands; false when there is a cluster.
bool cluster_disabled(Ctx& c) {
    if (c.sh.cluster)
        return false;
    resp::error(c.out, "ERR This instance has cluster support disabled");
    return true;
}

void cmd_cluster(Ctx& c) {
    if (!cluster_disabled(c))
        c.sh.cluster->command(c.argv, c.out);
}
void cmd_asking(Ctx& c) {
    if (cluster_disabled(c))
        return;
    c.client.cluster.asking = true;
    resp::simple(c.out, "OK");
}
void cmd_readonly(Ctx& c) {
    if (cluster_disabled(c))
        return;
    c.client.cluster.readonly = true;
    resp::simple(c.out, "OK");
}
void cmd_readwrite(Ctx& c) {
    if (cluster_disabled(c))
        return;
    c.client.cluster.readonly = false;
    resp::simple(c.out, "OK");
}

void cmd_migrate(Ctx& c) { cluster::migrate(c.sh.store, c.argv, c.out); }
void cmd_wait(Ctx& c) { c.sh.cluster->wait(c.argv, c.out); }
void cmd_role(Ctx& c) { c.sh.cluster->role(c.out); }
// RESTORE that MIGRATE sends; in cluster mode, a node importing the key's slot takes it (the
// route lets it through as it lets a command after ASKING).
void cmd_restore_asking(Ctx& c) { cmd_restore(c); }

/// The commands that exist only with --cluster.
constexpr Command cluster_commands[] = {
    {"wait", 3, false, Op::other, cmd_wait, "noscript", 0, 0, 0, "@slow @connection"},
    {"role", 1, false, Op::other, cmd_role, "noscript loading stale fast", 0, 0, 0, "@admin @fast @dangerous"},
};

const Command* cluster_lookup(std::string_view name) {
    for (const Command& cmd : cluster_commands)
        if (iequals(cmd.name, name))
            return &cmd;
    return nullptr;
}

/// The key positions cluster mode routes cmd by.  MIGRATE's (3 to 3) are those Redis's COMMAND
/// INFO gives, which its KEYS form does not follow; its keys are this node's to send, and a node
/// that has none of them answers NOKEY, so it is not routed.
cluster::KeySpec routed_keys(const Command& cmd) {
    if (cmd.run == cmd_migrate)
        return {0, 0, 0, cmd.flags};
    return {cmd.first_key, cmd.last_key, cmd.key_step, cmd.flags};
}
// ---- end of Redis Cluster's commands ----

constexpr Command commands[] = {
    {"ping", -1, true, Op::ping, cmd_ping, "fast sentinel", 0, 0, 0, "@fast @connection"},
    {"echo", 2, false, Op::echo, cmd_echo, "fast", 0, 0, 0, "@fast @connection"},
    {"get", 2, false, Op::get, cmd_get, "readonly fast", 1, 1, 1, "@read @string @fast"},
    {"set", -3, false, Op::set, cmd_set, "write denyoom", 1, 1, 1, "@write @string @slow"},
    {"setnx", 3, false, Op::set, cmd_setnx, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"setex", 4, false, Op::set, cmd_setex, "write denyoom", 1, 1, 1, "@write @string @slow"},
    {"psetex", 4, false, Op::set, cmd_psetex, "write denyoom", 1, 1, 1, "@write @string @slow"},
    {"getset", 3, false, Op::other, cmd_getset, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"getdel", 2, false, Op::other, cmd_getdel, "write fast", 1, 1, 1, "@write @string @fast"},
    {"getex", -2, false, Op::other, cmd_getex, "write fast", 1, 1, 1, "@write @string @fast"},
    {"getrange", 4, false, Op::other, cmd_getrange, "readonly", 1, 1, 1, "@read @string @slow"},
    {"substr", 4, false, Op::other, cmd_getrange, "readonly", 1, 1, 1, "@read @string @slow"},
    {"setrange", 4, false, Op::other, cmd_setrange, "write denyoom", 1, 1, 1, "@write @string @slow"},
    {"getbit", 3, false, Op::other, cmd_getbit, "readonly fast", 1, 1, 1, "@read @bitmap @fast"},
    {"setbit", 4, false, Op::other, cmd_setbit, "write denyoom", 1, 1, 1, "@write @bitmap @slow"},
    {"incrbyfloat", 3, false, Op::other, cmd_incrbyfloat, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"msetnx", -3, false, Op::other, cmd_msetnx, "write denyoom", 1, -1, 2, "@write @string @slow"},
    {"del", -2, false, Op::del, cmd_del, "write", 1, -1, 1, "@keyspace @write @slow"},
    {"unlink", -2, false, Op::del, cmd_del, "write fast", 1, -1, 1, "@keyspace @write @fast"},
    {"exists", -2, false, Op::exists, cmd_exists, "readonly fast", 1, -1, 1, "@keyspace @read @fast"},
    {"touch", -2, false, Op::other, cmd_touch, "readonly fast", 1, -1, 1, "@keyspace @read @fast"},
    {"type", 2, false, Op::other, cmd_type, "readonly fast", 1, 1, 1, "@keyspace @read @fast"},
    {"rename", 3, false, Op::other, cmd_rename, "write", 1, 2, 1, "@keyspace @write @slow"},
    {"renamenx", 3, false, Op::other, cmd_renamenx, "write fast", 1, 2, 1, "@keyspace @write @fast"},
    {"copy", -3, false, Op::other, cmd_copy, "write denyoom", 1, 2, 1, "@keyspace @write @slow"},
    {"keys", 2, false, Op::other, cmd_keys, "readonly", 0, 0, 0, "@keyspace @read @slow @dangerous"},
    {"scan", -2, false, Op::other, cmd_scan, "readonly", 0, 0, 0, "@keyspace @read @slow"},
    {"randomkey", 1, false, Op::other, cmd_randomkey, "readonly", 0, 0, 0, "@keyspace @read @slow"},
    {"expire", -3, false, Op::expire, cmd_expire, "write fast", 1, 1, 1, "@keyspace @write @fast"},
    {"pexpire", -3, false, Op::pexpire, cmd_pexpire, "write fast", 1, 1, 1, "@keyspace @write @fast"},
    {"expireat", -3, false, Op::expire, cmd_expireat, "write fast", 1, 1, 1, "@keyspace @write @fast"},
    {"pexpireat", -3, false, Op::pexpire, cmd_pexpireat, "write fast", 1, 1, 1, "@keyspace @write @fast"},
    {"expiretime", 2, false, Op::ttl, cmd_expiretime, "readonly fast", 1, 1, 1, "@keyspace @read @fast"},
    {"pexpiretime", 2, false, Op::pttl, cmd_pexpiretime, "readonly fast", 1, 1, 1, "@keyspace @read @fast"},
    {"persist", 2, false, Op::persist, cmd_persist, "write fast", 1, 1, 1, "@keyspace @write @fast"},
    {"ttl", 2, false, Op::ttl, cmd_ttl, "readonly fast", 1, 1, 1, "@keyspace @read @fast"},
    {"pttl", 2, false, Op::pttl, cmd_pttl, "readonly fast", 1, 1, 1, "@keyspace @read @fast"},
    {"mget", -2, false, Op::mget, cmd_mget, "readonly fast", 1, -1, 1, "@read @string @fast"},
    {"mset", -3, false, Op::mset, cmd_mset, "write denyoom", 1, -1, 2, "@write @string @slow"},
    {"incr", 2, false, Op::incr, cmd_incr, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"incrby", 3, false, Op::incrby, cmd_incrby, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"decr", 2, false, Op::decr, cmd_decr, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"decrby", 3, false, Op::decrby, cmd_decrby, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"append", 3, false, Op::append, cmd_append, "write denyoom fast", 1, 1, 1, "@write @string @fast"},
    {"strlen", 2, false, Op::strlen, cmd_strlen, "readonly fast", 1, 1, 1, "@read @string @fast"},
    {"dbsize", 1, false, Op::dbsize, cmd_dbsize, "readonly fast", 0, 0, 0, "@keyspace @read @fast"},
    {"flushall", -1, false, Op::flushall, cmd_flushall, "write", 0, 0, 0, "@keyspace @write @slow @dangerous"},
    {"flushdb", -1, false, Op::flushall, cmd_flushall, "write", 0, 0, 0, "@keyspace @write @slow @dangerous"},
    {"info", -1, false, Op::info, cmd_info, "loading stale", 0, 0, 0, "@slow @dangerous"},
    {"auth", -2, true, Op::auth, cmd_auth, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection"},
    {"select", 2, false, Op::select, cmd_select, "loading stale fast", 0, 0, 0, "@fast @connection"},
    {"quit", -1, true, Op::quit, cmd_quit, "allow_busy noscript loading stale fast no_auth", 0, 0, 0, "@fast @connection"},
    {"multi", 1, false, Op::other, nullptr, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction"},
    {"exec", 1, false, Op::other, nullptr, "noscript loading stale skip_slowlog", 0, 0, 0, "@slow @transaction"},
    {"discard", 1, false, Op::other, nullptr, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction"},
    {"watch", -2, false, Op::other, nullptr, "noscript loading stale fast allow_busy", 1, -1, 1, "@fast @transaction"},
    {"unwatch", 1, false, Op::other, nullptr, "noscript loading stale fast allow_busy", 0, 0, 0, "@fast @transaction"},
    {"hello", -1, true, Op::other, cmd_hello, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection"},
    {"client", -2, false, Op::other, cmd_client, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"time", 1, false, Op::other, cmd_time, "loading stale fast", 0, 0, 0, "@fast"},
    {"lastsave", 1, false, Op::other, cmd_lastsave, "loading stale fast", 0, 0, 0, "@fast @admin @dangerous"},
    {"shutdown", -1, false, Op::other, cmd_shutdown, "admin noscript loading stale no_multi allow_busy", 0, 0, 0,
     "@admin @slow @dangerous"},
    {"save", 1, false, Op::other, cmd_save, "admin noscript no_multi", 0, 0, 0, "@admin @slow @dangerous"},
    {"bgsave", -1, false, Op::other, cmd_save, "admin noscript", 0, 0, 0, "@admin @slow @dangerous"},
    {"bgrewriteaof", 1, false, Op::other, cmd_save, "admin noscript", 0, 0, 0, "@admin @slow @dangerous"},
    {"swapdb", 3, false, Op::other, cmd_swapdb, "write fast", 0, 0, 0, "@keyspace @write @fast @dangerous"},
    {"function", -2, false, Op::other, cmd_function, "noscript write", 0, 0, 0, "@write @slow @scripting"},
    {"reset", 1, true, Op::other, cmd_reset, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection"},
    {"hset", -4, false, Op::other, cmd_hset, "write denyoom fast", 1, 1, 1, "@write @hash @fast"},
    {"hmset", -4, false, Op::other, cmd_hmset, "write denyoom fast", 1, 1, 1, "@write @hash @fast"},
    {"hsetnx", 4, false, Op::other, cmd_hsetnx, "write denyoom fast", 1, 1, 1, "@write @hash @fast"},
    {"hget", 3, false, Op::other, cmd_hget, "readonly fast", 1, 1, 1, "@read @hash @fast"},
    {"hmget", -3, false, Op::other, cmd_hmget, "readonly fast", 1, 1, 1, "@read @hash @fast"},
    {"hdel", -3, false, Op::other, cmd_hdel, "write fast", 1, 1, 1, "@write @hash @fast"},
    {"hexists", 3, false, Op::other, cmd_hexists, "readonly fast", 1, 1, 1, "@read @hash @fast"},
    {"hlen", 2, false, Op::other, cmd_hlen, "readonly fast", 1, 1, 1, "@read @hash @fast"},
    {"hstrlen", 3, false, Op::other, cmd_hstrlen, "readonly fast", 1, 1, 1, "@read @hash @fast"},
    {"hkeys", 2, false, Op::other, cmd_hkeys, "readonly", 1, 1, 1, "@read @hash @slow"},
    {"hvals", 2, false, Op::other, cmd_hvals, "readonly", 1, 1, 1, "@read @hash @slow"},
    {"hgetall", 2, false, Op::other, cmd_hgetall, "readonly", 1, 1, 1, "@read @hash @slow"},
    {"hincrby", 4, false, Op::other, cmd_hincrby, "write denyoom fast", 1, 1, 1, "@write @hash @fast"},
    {"hincrbyfloat", 4, false, Op::other, cmd_hincrbyfloat, "write denyoom fast", 1, 1, 1, "@write @hash @fast"},
    {"hrandfield", -2, false, Op::other, cmd_hrandfield, "readonly", 1, 1, 1, "@read @hash @slow"},
    {"hscan", -3, false, Op::other, cmd_hscan, "readonly", 1, 1, 1, "@read @hash @slow"},
    {"dump", 2, false, Op::other, cmd_dump, "readonly", 1, 1, 1, "@keyspace @read @slow"},
    {"restore", -4, false, Op::other, cmd_restore, "write denyoom", 1, 1, 1, "@keyspace @write @slow @dangerous"},
    {"object", -2, false, Op::other, cmd_object, "readonly", 2, 2, 1, "@keyspace @read @slow"},
    {"memory", -2, false, Op::other, cmd_memory, "readonly", 0, 0, 0, "@slow"},
    {"lcs", -3, false, Op::other, cmd_lcs, "readonly", 1, 2, 1, "@read @string @slow"},
    {"slowlog", -2, false, Op::other, cmd_slowlog, "admin loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"latency", -2, false, Op::other, cmd_latency, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"command", -1, false, Op::command, cmd_command, "loading stale", 0, 0, 0, "@slow @connection"},
    {"config", -2, false, Op::config, cmd_config, "", 0, 0, 0, "@slow"},
    {"migrate", -6, false, Op::other, cmd_migrate, "write movablekeys", 3, 3, 1, "@keyspace @write @slow @dangerous"},
    {"restore-asking", -4, false, Op::other, cmd_restore_asking, "write denyoom asking", 1, 1, 1,
     "@keyspace @write @slow @dangerous"},
    {"cluster", -2, false, Op::other, cmd_cluster, "", 0, 0, 0, "@slow"},
    {"asking", 1, false, Op::other, cmd_asking, "fast", 0, 0, 0, "@fast @connection"},
    {"readonly", 1, false, Op::other, cmd_readonly, "loading stale fast", 0, 0, 0, "@fast @connection"},
    {"readwrite", 1, false, Op::other, cmd_readwrite, "loading stale fast", 0, 0, 0, "@fast @connection"},
};

/// A subcommand of a container command (CLIENT, CONFIG, ...), as Redis 7.0 lists it in COMMAND:
/// "container|name", its own arity (counting the container's name), flags, keys and categories.
struct Subcommand {
    std::string_view container, name;
    int arity;
    std::string_view flags;
    int first_key, last_key, key_step;
    std::string_view acl;
};

constexpr Subcommand subcommands[] = {
    {"client", "id", 2, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"client", "getname", 2, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"client", "setname", 3, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"client", "info", 2, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"client", "list", -2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection"},
    {"client", "kill", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection"},
    {"client", "reply", 3, "noscript loading stale", 0, 0, 0, "@slow @connection"},
    {"client", "no-evict", 3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection"},
    {"client", "pause", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection"},
    {"client", "unpause", 2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous @connection"},
    {"client", "help", 2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"cluster", "addslots", -3, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "addslotsrange", -4, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "bumpepoch", 2, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "countkeysinslot", 3, "stale", 0, 0, 0, "@slow"},
    {"cluster", "delslots", -3, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "delslotsrange", -4, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "failover", -2, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "forget", 3, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "getkeysinslot", 4, "stale", 0, 0, 0, "@slow"},
    {"cluster", "help", 2, "loading stale", 0, 0, 0, "@slow"},
    {"cluster", "info", 2, "stale", 0, 0, 0, "@slow"},
    {"cluster", "keyslot", 3, "stale", 0, 0, 0, "@slow"},
    {"cluster", "meet", -4, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "myid", 2, "stale", 0, 0, 0, "@slow"},
    {"cluster", "nodes", 2, "stale", 0, 0, 0, "@slow"},
    {"cluster", "replicas", 3, "admin stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "replicate", 3, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "reset", -2, "admin noscript stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "saveconfig", 2, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "set-config-epoch", 3, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "setslot", -4, "admin stale no_async_loading", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "shards", 2, "stale", 0, 0, 0, "@slow"},
    {"cluster", "slaves", 3, "admin stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"cluster", "slots", 2, "stale", 0, 0, 0, "@slow"},
    {"command", "count", 2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "help", 2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "docs", -2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "getkeys", -4, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "getkeysandflags", -4, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "info", -2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"command", "list", -2, "loading stale", 0, 0, 0, "@slow @connection"},
    {"config", "get", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"config", "set", -4, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"config", "resetstat", 2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"config", "rewrite", 2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"config", "help", 2, "loading stale", 0, 0, 0, "@slow"},
    {"function", "flush", -2, "noscript write", 0, 0, 0, "@write @slow @scripting"},
    {"function", "help", 2, "loading stale", 0, 0, 0, "@slow @scripting"},
    {"latency", "help", 2, "loading stale", 0, 0, 0, "@slow"},
    {"latency", "latest", 2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"latency", "reset", -2, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"memory", "help", 2, "loading stale", 0, 0, 0, "@slow"},
    {"memory", "stats", 2, "readonly", 0, 0, 0, "@slow"},
    {"memory", "usage", -3, "readonly", 2, 2, 1, "@read @slow"},
    {"object", "encoding", 3, "readonly", 2, 2, 1, "@keyspace @read @slow"},
    {"object", "freq", 3, "readonly", 2, 2, 1, "@keyspace @read @slow"},
    {"object", "help", 2, "loading stale", 0, 0, 0, "@keyspace @slow"},
    {"object", "idletime", 3, "readonly", 2, 2, 1, "@keyspace @read @slow"},
    {"object", "refcount", 3, "readonly", 2, 2, 1, "@keyspace @read @slow"},
    {"slowlog", "get", -2, "admin loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"slowlog", "help", 2, "loading stale", 0, 0, 0, "@slow"},
    {"slowlog", "len", 2, "admin loading stale", 0, 0, 0, "@admin @slow @dangerous"},
    {"slowlog", "reset", 2, "admin loading stale", 0, 0, 0, "@admin @slow @dangerous"},
};

/// Whether n arguments (the name included) fit Redis's arity: exactly arity, or at least -arity.
bool arity_ok(int arity, std::size_t n) {
    return arity > 0 ? n == static_cast<std::size_t>(arity) : n >= static_cast<std::size_t>(-arity);
}

/// Whether the command named (its name in the table) has subcommands.
bool has_subcommands(std::string_view name) {
    // Most commands have none: a short list is looked at first, on every command's path.
    constexpr std::string_view containers[] = {"client",  "cluster", "command", "config", "function",
                                               "latency", "memory",  "object",  "slowlog"};
    return std::find(std::begin(containers), std::end(containers), name) != std::end(containers);
}

/// The subcommand of container (a command's name in the table) named sub, any case; null if none.
const Subcommand* find_subcommand(std::string_view container, std::string_view sub) {
    if (!has_subcommands(container))
        return nullptr;
    for (const Subcommand& s : subcommands)
        if (s.container == container && iequals(s.name, sub))
            return &s;
    return nullptr;
}

/// COMMAND DOCS: the Redis version that brought each command, and what it does in a line.
struct Doc {
    std::string_view name, since, summary;
};

constexpr Doc docs[] = {
    {"append", "2.0.0", "Appends a string to a key's value, making the key when it is absent."},
    {"asking", "3.0.0", "Lets the next command reach a slot this node is importing."},
    {"auth", "1.0.0", "Authenticates the connection."},
    {"bgrewriteaof", "1.0.0", "Refused: there is no persistence, so no append-only file to rewrite."},
    {"bgsave", "1.0.0", "Refused: there is no persistence, so nothing to save."},
    {"client", "2.4.0", "Inspects and controls client connections."},
    {"client|getname", "2.6.9", "Returns the connection's name."},
    {"client|help", "5.0.0", "Lists CLIENT's subcommands."},
    {"client|id", "5.0.0", "Returns the connection's unique id."},
    {"client|info", "6.2.0", "Describes this connection as CLIENT LIST does."},
    {"client|kill", "2.4.0", "Closes the connections that match the filters."},
    {"client|list", "2.4.0", "Describes every connection, one line each."},
    {"client|no-evict", "7.0.0", "Accepted for compatibility: eviction does not depend on the client."},
    {"client|pause", "2.9.50", "Holds back clients' commands (all, or those that write) for a time."},
    {"client|reply", "3.2.0", "Turns this connection's replies on, off, or off for one command."},
    {"client|setname", "2.6.9", "Names the connection."},
    {"client|unpause", "6.2.0", "Ends a CLIENT PAUSE early."},
    {"cluster", "3.0.0", "Redis Cluster's state and configuration."},
    {"cluster|addslots", "3.0.0", "Gives slots to this node."},
    {"cluster|addslotsrange", "7.0.0", "Gives ranges of slots to this node."},
    {"cluster|bumpepoch", "3.0.0", "Gives this node a new configuration epoch, unless its own is the highest."},
    {"cluster|countkeysinslot", "3.0.0", "Returns the number of keys in a slot."},
    {"cluster|delslots", "3.0.0", "Takes slots away from this node."},
    {"cluster|delslotsrange", "7.0.0", "Takes ranges of slots away from this node."},
    {"cluster|failover", "3.0.0", "Makes this replica its master's master, with its master's consent or without."},
    {"cluster|forget", "3.0.0", "Removes a node from this node's view for a minute."},
    {"cluster|getkeysinslot", "3.0.0", "Returns keys of a slot."},
    {"cluster|help", "5.0.0", "Lists CLUSTER's subcommands."},
    {"cluster|info", "3.0.0", "Returns the cluster's state as this node sees it."},
    {"cluster|keyslot", "3.0.0", "Returns the slot of a key."},
    {"cluster|meet", "3.0.0", "Joins another node to the cluster."},
    {"cluster|myid", "3.0.0", "Returns this node's id."},
    {"cluster|nodes", "3.0.0", "Returns every node this node knows, a line each."},
    {"cluster|replicas", "5.0.0", "Returns the replicas of a master, as CLUSTER NODES lines."},
    {"cluster|replicate", "3.0.0", "Makes this node a replica of a master."},
    {"cluster|reset", "3.0.0", "Forgets the other nodes and the slots; HARD also takes a new id."},
    {"cluster|saveconfig", "3.0.0", "Writes the cluster's configuration file now."},
    {"cluster|set-config-epoch", "3.0.0", "Sets the configuration epoch of a new node."},
    {"cluster|setslot", "3.0.0", "Marks a slot as importing, migrating or stable, or gives it to a node."},
    {"cluster|shards", "7.0.0", "Returns the shards: their slots and nodes."},
    {"cluster|slaves", "3.0.0", "CLUSTER REPLICAS's older name."},
    {"cluster|slots", "3.0.0", "Returns the slot ranges and the nodes serving them."},
    {"command", "2.8.13", "Describes the commands the server answers."},
    {"command|count", "2.8.13", "Returns how many commands there are."},
    {"command|help", "5.0.0", "Lists COMMAND's subcommands."},
    {"command|docs", "7.0.0", "Returns each command's version, group and summary."},
    {"command|getkeys", "2.8.13", "Returns the keys a full command line names."},
    {"command|getkeysandflags", "7.0.0", "Returns the keys a full command line names, with how each is used."},
    {"command|info", "2.8.13", "Describes the commands named, or all."},
    {"command|list", "7.0.0", "Lists command names, optionally filtered."},
    {"config", "2.0.0", "Reads and changes settings at run time."},
    {"config|get", "2.0.0", "Returns the settings whose names match the patterns."},
    {"config|help", "5.0.0", "Lists CONFIG's subcommands."},
    {"config|resetstat", "2.0.0", "Zeroes the statistics INFO reports."},
    {"config|rewrite", "2.8.0", "Refused: there is no configuration file to rewrite."},
    {"config|set", "2.0.0", "Changes settings that can change at run time."},
    {"copy", "6.2.0", "Copies a key's value to another key."},
    {"dbsize", "1.0.0", "Returns the number of keys."},
    {"decr", "1.0.0", "Subtracts one from a key's integer value."},
    {"decrby", "1.0.0", "Subtracts an integer from a key's integer value."},
    {"del", "1.0.0", "Deletes keys."},
    {"discard", "2.0.0", "Drops the commands queued since MULTI."},
    {"dump", "2.6.0", "Serializes a key's value for RESTORE."},
    {"echo", "1.0.0", "Returns its argument."},
    {"exec", "1.2.0", "Runs the commands queued since MULTI, as one step."},
    {"exists", "1.0.0", "Counts how many of the keys exist."},
    {"expire", "1.0.0", "Sets a key's time to live in seconds."},
    {"expireat", "1.2.0", "Sets a key's expiry as a Unix time in seconds."},
    {"expiretime", "7.0.0", "Returns a key's expiry as a Unix time in seconds."},
    {"flushall", "1.0.0", "Deletes every key."},
    {"flushdb", "1.0.0", "Deletes every key of the (single) database."},
    {"function", "7.0.0", "Functions: only FLUSH, which has nothing to remove."},
    {"function|flush", "7.0.0", "Removes every function: there are none."},
    {"function|help", "7.0.0", "Lists FUNCTION's subcommands."},
    {"get", "1.0.0", "Returns a key's string value."},
    {"getbit", "2.2.0", "Returns one bit of a key's string value."},
    {"getdel", "6.2.0", "Returns a key's string value and deletes the key."},
    {"getex", "6.2.0", "Returns a key's string value and changes its expiry."},
    {"getrange", "2.4.0", "Returns a part of a key's string value."},
    {"getset", "1.0.0", "Sets a key's string value and returns the old one."},
    {"hdel", "2.0.0", "Removes fields from a hash."},
    {"hello", "6.0.0", "Chooses the protocol version, optionally authenticating and naming the connection."},
    {"hexists", "2.0.0", "Tells whether a hash has a field."},
    {"hget", "2.0.0", "Returns a hash field's value."},
    {"hgetall", "2.0.0", "Returns every field and value of a hash."},
    {"hincrby", "2.0.0", "Adds an integer to a hash field's integer value."},
    {"hincrbyfloat", "2.6.0", "Adds a number to a hash field's numeric value."},
    {"hkeys", "2.0.0", "Returns the fields of a hash."},
    {"hlen", "2.0.0", "Returns the number of fields of a hash."},
    {"hmget", "2.0.0", "Returns the values of several hash fields."},
    {"hmset", "2.0.0", "Sets several hash fields (HSET does the same and counts new fields)."},
    {"hrandfield", "6.2.0", "Returns random fields of a hash."},
    {"hscan", "2.8.0", "Iterates over a hash's fields and values."},
    {"hset", "2.0.0", "Sets hash fields, making the hash when it is absent."},
    {"hsetnx", "2.0.0", "Sets a hash field only when it is absent."},
    {"hstrlen", "3.2.0", "Returns the length of a hash field's value."},
    {"hvals", "2.0.0", "Returns the values of a hash."},
    {"incr", "1.0.0", "Adds one to a key's integer value."},
    {"incrby", "1.0.0", "Adds an integer to a key's integer value."},
    {"incrbyfloat", "2.6.0", "Adds a number to a key's numeric value."},
    {"info", "1.0.0", "Returns the server's state and statistics, by section."},
    {"keys", "1.0.0", "Returns the keys that match a pattern."},
    {"lastsave", "1.0.0", "Returns when the server started: nothing is ever saved."},
    {"latency", "2.8.13", "The latency monitor of slow commands."},
    {"latency|help", "2.8.13", "Lists LATENCY's subcommands."},
    {"latency|latest", "2.8.13", "Returns the latest and longest slow command event."},
    {"latency|reset", "2.8.13", "Forgets the recorded events."},
    {"lcs", "7.0.0", "Returns the longest common subsequence of two string values."},
    {"memory", "4.0.0", "Memory use of keys and of the server."},
    {"memory|help", "4.0.0", "Lists MEMORY's subcommands."},
    {"memory|stats", "4.0.0", "Returns the server's memory use."},
    {"memory|usage", "4.0.0", "Returns the bytes a key and its value take."},
    {"mget", "1.0.0", "Returns the string values of several keys."},
    {"migrate", "2.6.0", "Moves keys to another node."},
    {"mset", "1.0.1", "Sets the string values of several keys, as one step."},
    {"msetnx", "1.0.1", "Sets several keys only when none exists, as one step."},
    {"multi", "1.2.0", "Starts queueing commands for EXEC."},
    {"object", "2.2.3", "Internals of a key's value."},
    {"object|encoding", "2.2.3", "Returns how a key's value is encoded, in Redis's names."},
    {"object|freq", "4.0.0", "Returns a key's access frequency under an LFU policy."},
    {"object|help", "6.2.0", "Lists OBJECT's subcommands."},
    {"object|idletime", "2.2.3", "Returns the time since the last access to a key."},
    {"object|refcount", "2.2.3", "Returns a key's value's reference count."},
    {"persist", "2.2.0", "Removes a key's expiry."},
    {"pexpire", "2.6.0", "Sets a key's time to live in milliseconds."},
    {"pexpireat", "2.6.0", "Sets a key's expiry as a Unix time in milliseconds."},
    {"pexpiretime", "7.0.0", "Returns a key's expiry as a Unix time in milliseconds."},
    {"ping", "1.0.0", "Returns PONG, or its argument."},
    {"psetex", "2.6.0", "Sets a key's string value and time to live in milliseconds."},
    {"pttl", "2.6.0", "Returns a key's time to live in milliseconds."},
    {"quit", "1.0.0", "Closes the connection."},
    {"randomkey", "1.0.0", "Returns a random key."},
    {"readonly", "3.0.0", "Lets the connection read from a replica in Redis Cluster mode."},
    {"readwrite", "3.0.0", "Ends READONLY."},
    {"rename", "1.0.0", "Renames a key, replacing the target."},
    {"renamenx", "1.0.0", "Renames a key only when the target is absent."},
    {"reset", "6.2.0", "Resets the connection's state."},
    {"restore", "2.6.0", "Makes a key from a DUMP payload."},
    {"restore-asking", "3.0.0", "RESTORE sent by MIGRATE to a node importing the key's slot."},
    {"role", "2.8.12", "Returns the node's replication role."},
    {"save", "1.0.0", "Refused: there is no persistence, so nothing to save."},
    {"scan", "2.8.0", "Iterates over the keys."},
    {"select", "1.0.0", "Selects the database: only 0 exists."},
    {"set", "1.0.0", "Sets a key's string value, with conditions and expiry."},
    {"setbit", "2.2.0", "Sets one bit of a key's string value."},
    {"setex", "2.0.0", "Sets a key's string value and time to live in seconds."},
    {"setnx", "1.0.0", "Sets a key's string value only when the key is absent."},
    {"setrange", "2.2.0", "Overwrites part of a key's string value."},
    {"slowlog", "2.2.12", "The log of slow commands."},
    {"slowlog|get", "2.2.12", "Returns the newest slow log entries."},
    {"slowlog|help", "6.2.0", "Lists SLOWLOG's subcommands."},
    {"slowlog|len", "2.2.12", "Returns the number of slow log entries."},
    {"slowlog|reset", "2.2.12", "Empties the slow log."},
    {"shutdown", "1.0.0", "Stops the server as SIGTERM does; SAVE is refused."},
    {"strlen", "2.2.0", "Returns the length of a key's string value."},
    {"substr", "1.0.0", "GETRANGE's older name."},
    {"swapdb", "4.0.0", "Refused: there is a single database."},
    {"time", "2.6.0", "Returns the server's time."},
    {"touch", "3.2.1", "Counts how many of the keys exist, as an access."},
    {"ttl", "1.0.0", "Returns a key's time to live in seconds."},
    {"type", "1.0.0", "Returns the type of a key's value."},
    {"unlink", "4.0.0", "Deletes keys."},
    {"unwatch", "2.2.0", "Forgets the keys WATCH watches."},
    {"wait", "3.0.0", "Waits until replicas have the writes made so far."},
    {"watch", "2.2.0", "Makes the next EXEC fail if a key changes before it."},
};

/// COMMAND DOCS's group: Redis's name for the family, from the command's categories.
std::string_view doc_group(std::string_view acl, std::string_view name) {
    if (name == "cluster" || name == "asking" || name == "readonly" || name == "readwrite")
        return "cluster";
    if (name == "restore-asking")
        return "server";
    const std::pair<std::string_view, std::string_view> groups[] = {
        {"@string", "string"}, {"@hash", "hash"},         {"@bitmap", "bitmap"},         {"@transaction", "transactions"},
        {"@scripting", "scripting"}, {"@keyspace", "generic"}, {"@connection", "connection"}};
    for (const auto& [cat, group] : groups)
        if (acl.find(cat) != std::string_view::npos)
            return group;
    return "server";
}

/// The words of a space-separated list.
std::vector<std::string_view> words(std::string_view list) {
    std::vector<std::string_view> w;
    for (std::size_t i = 0; i < list.size();) {
        std::size_t j = std::min(list.find(' ', i), list.size());
        if (j > i)
            w.push_back(list.substr(i, j - i));
        i = j + 1;
    }
    return w;
}

/// One command or subcommand as COMMAND describes it.
struct Described {
    std::string full; ///< "get", "client|list"
    int arity;
    std::string_view flags;
    int first_key, last_key, key_step;
    std::string_view acl;
    bool container; ///< has subcommands
};

Described described(const Command& cmd) {
    bool container = std::any_of(std::begin(subcommands), std::end(subcommands),
                                 [&](const Subcommand& s) { return s.container == cmd.name; });
    return {std::string(cmd.name), cmd.arity, cmd.flags, cmd.first_key, cmd.last_key, cmd.key_step, cmd.acl, container};
}

Described described(const Subcommand& s) {
    return {fmt::format("{}|{}", s.container, s.name), s.arity, s.flags, s.first_key, s.last_key, s.key_step, s.acl,
            false};
}

const Command* lookup(std::string_view name);

/// A command or "container|subcommand" by name, any case.
std::optional<Described> find_described(std::string_view name) {
    std::size_t bar = name.find('|');
    if (bar == std::string_view::npos) {
        const Command* cmd = lookup(name);
        if (!cmd)
            return std::nullopt;
        return described(*cmd);
    }
    const Command* cmd = lookup(name.substr(0, bar));
    const Subcommand* s = cmd ? find_subcommand(cmd->name, name.substr(bar + 1)) : nullptr;
    if (!s)
        return std::nullopt;
    return described(*s);
}

void describe(Ctx& c, const Described& d) {
    // Redis 7.0's ten fields: name, arity, flags, first key, last key, step, ACL categories,
    // tips, key specifications, subcommands.
    resp::array(c.out, 10);
    resp::bulk(c.out, d.full);
    resp::integer(c.out, d.arity);
    auto flags = words(d.flags);
    resp::set(c.out, flags.size(), r3(c));
    for (auto f : flags)
        resp::simple(c.out, f);
    resp::integer(c.out, d.first_key);
    resp::integer(c.out, d.last_key);
    resp::integer(c.out, d.key_step);
    auto acl = words(d.acl);
    resp::set(c.out, acl.size(), r3(c));
    for (auto a : acl)
        resp::simple(c.out, a);
    resp::array(c.out, 0);
    resp::array(c.out, 0);
    if (!d.container) {
        resp::array(c.out, 0);
        return;
    }
    std::size_t n = 0;
    for (const Subcommand& s : subcommands)
        n += s.container == d.full;
    resp::array(c.out, n);
    for (const Subcommand& s : subcommands)
        if (s.container == d.full)
            describe(c, described(s));
}

void document(Ctx& c, const Described& d) {
    auto it = std::find_if(std::begin(docs), std::end(docs), [&](const Doc& doc) { return doc.name == d.full; });
    std::size_t subs = 0;
    for (const Subcommand& s : subcommands)
        subs += s.container == d.full;
    resp::map(c.out, subs ? 4 : 3, r3(c));
    resp::bulk(c.out, "summary");
    resp::bulk(c.out, it == std::end(docs) ? std::string_view() : it->summary);
    resp::bulk(c.out, "since");
    resp::bulk(c.out, it == std::end(docs) ? std::string_view() : it->since);
    resp::bulk(c.out, "group");
    std::string_view base = std::string_view(d.full).substr(0, d.full.find('|'));
    resp::bulk(c.out, doc_group(d.acl, base));
    if (!subs)
        return;
    resp::bulk(c.out, "subcommands");
    resp::map(c.out, subs, r3(c));
    for (const Subcommand& s : subcommands)
        if (s.container == d.full) {
            Described sd = described(s);
            resp::bulk(c.out, sd.full);
            document(c, sd);
        }
}

/// COMMAND GETKEYSANDFLAGS's flags for the key at position i of a command line: how the
/// command uses it (Redis's key specification flags).
std::string_view key_flags(std::string_view name, std::size_t i, std::string_view flags) {
    const std::pair<std::string_view, std::string_view> special[] = {
        {"set", "OW update"},   {"setex", "OW update"}, {"psetex", "OW update"},  {"mset", "OW update"},
        {"msetnx", "OW insert"}, {"setnx", "OW insert"}, {"restore", "OW update"}, {"del", "RM delete"},
        {"unlink", "RM delete"}, {"getdel", "RW access delete"}, {"migrate", "RW access delete"}};
    for (const auto& [cmd, f] : special)
        if (name == cmd)
            return f;
    if (name == "rename" || name == "renamenx")
        return i == 1 ? "RW access delete" : "OW insert";
    if (name == "copy")
        return i == 1 ? "RO access" : "OW insert";
    if (flags.find("write") != std::string_view::npos)
        return "RW access update";
    return "RO access";
}

/// The positions of MIGRATE's keys in line (its KEYS form makes it a movablekeys command), as
/// Redis 7.0 finds them: the key argument, unless a KEYS is found looking back from the
/// second-to-last argument; then, as MIGRATE reads its options, every argument after KEYS when
/// the key argument is empty, none when it is not (MIGRATE refuses that), and the key argument
/// when that KEYS was AUTH's or AUTH2's argument.
std::vector<std::size_t> migrate_keys(std::span<const std::string_view> line) {
    bool keyword = false;
    for (std::size_t i = line.size() - 2; i >= 1 && !keyword; --i)
        keyword = iequals(line[i], "KEYS");
    if (!keyword)
        return {3};
    for (std::size_t i = 6; i < line.size(); ++i) {
        if (iequals(line[i], "KEYS")) {
            if (!line[3].empty())
                return {};
            std::vector<std::size_t> at;
            for (std::size_t k = i + 1; k < line.size(); ++k)
                at.push_back(k);
            return at;
        }
        if (iequals(line[i], "AUTH"))
            i += 1;
        else if (iequals(line[i], "AUTH2"))
            i += 2;
    }
    return {3};
}

/// COMMAND GETKEYS and GETKEYSANDFLAGS.
void command_getkeys(Ctx& c, bool with_flags) {
    auto line = c.argv.subspan(2);
    const Command* cmd = lookup(line[0]);
    std::optional<Described> d;
    if (cmd) {
        d = described(*cmd);
        if (d->container && line.size() >= 2)
            if (auto sub = find_described(fmt::format("{}|{}", cmd->name, line[1])))
                d = sub;
    }
    if (!d) {
        resp::error(c.out, "ERR Invalid command specified");
        return;
    }
    if (d->first_key == 0) {
        resp::error(c.out, "ERR The command has no key arguments");
        return;
    }
    if (!arity_ok(d->arity, line.size())) {
        resp::error(c.out, "ERR Invalid number of arguments specified for command");
        return;
    }
    std::vector<std::size_t> at;
    if (d->full == "migrate") {
        at = migrate_keys(line);
    } else {
        std::size_t last = d->last_key < 0 ? line.size() - static_cast<std::size_t>(-d->last_key)
                                           : static_cast<std::size_t>(d->last_key);
        for (std::size_t i = static_cast<std::size_t>(d->first_key); i <= last && i < line.size();
             i += static_cast<std::size_t>(d->key_step))
            at.push_back(i);
    }
    if (at.empty()) {
        resp::error(c.out, "ERR Invalid arguments specified for command");
        return;
    }
    resp::array(c.out, at.size());
    for (std::size_t i : at) {
        if (!with_flags) {
            resp::bulk(c.out, line[i]);
            continue;
        }
        resp::array(c.out, 2);
        resp::bulk(c.out, line[i]);
        auto f = words(key_flags(d->full, i, d->flags));
        resp::set(c.out, f.size(), r3(c));
        for (auto w : f)
            resp::simple(c.out, w);
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
void command_list(Ctx& c) {
    enum class By { all, module, aclcat, pattern } by = By::all;
    std::string_view arg;
    if (c.argv.size() == 5 && iequals(c.argv[2], "FILTERBY")) {
        arg = c.argv[4];
        if (iequals(c.argv[3], "MODULE"))
            by = By::module;
        else if (iequals(c.argv[3], "ACLCAT"))
            by = By::aclcat;
        else if (iequals(c.argv[3], "PATTERN"))
            by = By::pattern;
        else
            return err_syntax(c.out);
    } else if (c.argv.size() != 2) {
        return err_syntax(c.out);
    }
    std::vector<Described> all;
    for (const Command& cmd : commands)
        all.push_back(described(cmd));
    for (const Subcommand& s : subcommands)
        all.push_back(described(s));
    std::vector<std::string_view> names;
    for (const Described& d : all) {
        bool take = by == By::all;
        if (by == By::aclcat)
            for (auto cat : words(d.acl))
                take |= iequals(cat.substr(1), arg);
        if (by == By::pattern)
            take = glob_match(arg, d.full, true);
        if (take)
            names.push_back(d.full);
    }
    resp::array(c.out, names.size());
    for (auto n : names)
        resp::bulk(c.out, n);
}

void cmd_command(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    std::string_view sub = c.argv.size() >= 2 ? c.argv[1] : std::string_view();
    if (c.argv.size() == 1) {
        resp::array(c.out, std::size(commands));
        for (const Command& cmd : commands)
            describe(c, described(cmd));
    } else if (iequals(sub, "COUNT")) {
        resp::integer(c.out, std::size(commands));
    } else if (iequals(sub, "HELP")) {
        resp::help(c.out, "COMMAND",
                   {"(no subcommand)", "    Describe every command.", "COUNT", "    Give the number of commands.",
                    "DOCS [<command-name> ...]", "    Give each command's summary, version and group, or every one's.",
                    "GETKEYS <full-command>", "    Give the keys of a whole command line.",
                    "GETKEYSANDFLAGS <full-command>", "    Give the keys of a whole command line and how each is used.",
                    "INFO [<command-name> ...]", "    Describe the commands named, or every one.",
                    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                    "    List the names of commands and subcommands, all or those matching the filter."});
    } else if (iequals(sub, "INFO") || iequals(sub, "DOCS")) {
        bool info = iequals(sub, "INFO");
        if (c.argv.size() == 2) {
            info ? resp::array(c.out, std::size(commands)) : resp::map(c.out, std::size(commands), r3(c));
            for (const Command& cmd : commands) {
                if (!info)
                    resp::bulk(c.out, cmd.name);
                info ? describe(c, described(cmd)) : document(c, described(cmd));
            }
            return;
        }
        std::vector<Described> found;
        for (std::size_t i = 2; i < c.argv.size(); ++i) {
            auto d = find_described(c.argv[i]);
            if (info && !d)
                found.push_back({});
            else if (d)
                found.push_back(*d);
        }
        // INFO answers each name, a null for one unknown; DOCS leaves unknown ones out.
        info ? resp::array(c.out, found.size()) : resp::map(c.out, found.size(), r3(c));
        for (const Described& d : found) {
            if (info && d.full.empty()) {
                resp::null_array(c.out, r3(c));
                continue;
            }
            if (!info)
                resp::bulk(c.out, d.full);
            info ? describe(c, d) : document(c, d);
        }
    } else if (iequals(sub, "GETKEYS") || iequals(sub, "GETKEYSANDFLAGS")) {
        command_getkeys(c, iequals(sub, "GETKEYSANDFLAGS"));
    } else {
        command_list(c);
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

/// A CONFIG parameter: its value as CONFIG GET shows it, and, when it can change at run time,
/// the setter, which checks the value and returns false for one it cannot take.
struct Param {
    const char* name;
    const char* alias; ///< Redis's older name, or nullptr
    std::string (*get)(Ctx&);
    bool (*set)(Ctx&, std::string_view);
};

bool set_size(std::string_view v, std::size_t& out) { return parse_memory(v, out); }

bool set_i64(std::string_view v, std::int64_t& out) { return parse_i64(v, out); }

/// CONFIG SET proto-max-bulk-len and client-query-buffer-limit: at least 1 MiB, as Redis takes.
bool set_request_limit(std::string_view v, std::atomic<std::size_t>& limit) {
    std::size_t n = 0;
    if (!set_size(v, n) || n < (std::size_t{1} << 20))
        return false;
    limit.store(n, std::memory_order_relaxed);
    return true;
}

const Param params[] = {
    {"bind", nullptr, [](Ctx& c) { return c.sh.cfg.bind; }, nullptr},
    {"port", nullptr, [](Ctx& c) { return std::to_string(c.sh.cfg.port); }, nullptr},
    {"databases", nullptr, [](Ctx&) { return std::string("1"); }, nullptr},
    {"maxmemory", nullptr,
     [](Ctx& c) { return std::to_string(c.sh.store.limit() == Store::unlimited ? 0 : c.sh.store.limit()); },
     [](Ctx& c, std::string_view v) {
         std::size_t n = 0;
         if (!set_size(v, n))
             return false;
         // 0, as in Redis: no limit.
         c.sh.store.set_limit(n == 0 || n > Store::unlimited ? Store::unlimited : n);
         return true;
     }},
    {"maxmemory-policy", nullptr, [](Ctx& c) { return std::string(policy_name(c.sh.store.policy())); },
     [](Ctx& c, std::string_view v) {
         std::string lower(v);
         std::transform(lower.begin(), lower.end(), lower.begin(), [](char ch) { return ch | 0x20; });
         auto p = parse_policy(lower);
         if (!p)
             return false;
         if (*p != c.sh.store.policy())
             c.sh.store.set_policy(*p);
         return true;
     }},
    {"maxclients", nullptr, [](Ctx& c) { return std::to_string(c.sh.stats.limits.max_clients.load()); },
     [](Ctx& c, std::string_view v) {
         std::int64_t n = 0;
         std::uint64_t fit = 0;
         std::string error;
         // As Redis: at least one, and no more than the open files limit (raised if it can be) allows.
         if (!set_i64(v, n) || n < 1 || !descriptors_for(static_cast<std::uint64_t>(n), c.sh.cfg.threads, fit, error) ||
             fit < static_cast<std::uint64_t>(n))
             return false;
         c.sh.stats.limits.max_clients.store(fit);
         return true;
     }},
    {"timeout", nullptr, [](Ctx& c) { return std::to_string(c.sh.stats.limits.idle_timeout_ms.load() / 1000); },
     [](Ctx& c, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n) || n < 0 || n > std::numeric_limits<std::int64_t>::max() / 1000)
             return false;
         c.sh.stats.limits.idle_timeout_ms.store(static_cast<std::uint64_t>(n) * 1000);
         return true;
     }},
    {"proto-max-bulk-len", nullptr, [](Ctx& c) { return std::to_string(proto_max_bulk_len(c.sh)); },
     [](Ctx& c, std::string_view v) { return set_request_limit(v, c.sh.max_bulk); }},
    {"client-query-buffer-limit", nullptr,
     [](Ctx& c) { return std::to_string(request_limits(c.sh).max_request); },
     [](Ctx& c, std::string_view v) { return set_request_limit(v, c.sh.max_request); }},
    {"client-output-buffer-limit", nullptr,
     [](Ctx& c) {
         const net::OutputLimits& ol = c.sh.output_limits;
         return fmt::format("normal {} {} {}", ol.hard.load(std::memory_order_relaxed),
                            ol.soft.load(std::memory_order_relaxed), ol.soft_ms.load(std::memory_order_relaxed) / 1000);
     },
     set_output_limits},
    {"slowlog-log-slower-than", nullptr,
     [](Ctx& c) { return std::to_string(c.sh.slowlog_slower_than.load(std::memory_order_relaxed)); },
     [](Ctx& c, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n))
             return false;
         c.sh.slowlog_slower_than.store(n, std::memory_order_relaxed);
         return true;
     }},
    {"slowlog-max-len", nullptr, [](Ctx& c) { return std::to_string(c.sh.slowlog_max_len.load(std::memory_order_relaxed)); },
     [](Ctx& c, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n) || n < 0)
             return false;
         c.sh.slowlog_max_len.store(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
         std::lock_guard lock(c.sh.slowlog.mu);
         while (c.sh.slowlog.entries.size() > static_cast<std::size_t>(n))
             c.sh.slowlog.entries.pop_back();
         return true;
     }},
    {"latency-monitor-threshold", nullptr,
     [](Ctx& c) { return std::to_string(c.sh.latency_threshold_ms.load(std::memory_order_relaxed)); },
     [](Ctx& c, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n) || n < 0)
             return false;
         c.sh.latency_threshold_ms.store(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
         return true;
     }},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", [](Ctx&) { return std::to_string(Hash::listpack_entries()); },
     [](Ctx&, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n) || n < 0)
             return false;
         Hash::set_listpack_limits(static_cast<std::size_t>(n), Hash::listpack_value());
         return true;
     }},
    {"hash-max-listpack-value", "hash-max-ziplist-value", [](Ctx&) { return std::to_string(Hash::listpack_value()); },
     [](Ctx&, std::string_view v) {
         std::int64_t n = 0;
         if (!set_i64(v, n) || n < 0)
             return false;
         Hash::set_listpack_limits(Hash::listpack_entries(), static_cast<std::size_t>(n));
         return true;
     }},
    {"save", nullptr, [](Ctx&) { return std::string(); }, nullptr},
    {"appendonly", nullptr, [](Ctx&) { return std::string("no"); }, nullptr},
};

const Param* find_param(std::string_view name) {
    for (const Param& p : params)
        if (iequals(name, p.name) || (p.alias && iequals(name, p.alias)))
            return &p;
    return nullptr;
}

void cmd_config(Ctx& c) {
    // execute() found the subcommand in the table and checked its arity.
    std::string_view sub = c.argv[1];
    if (iequals(sub, "SET")) {
        if (c.argv.size() < 4 || c.argv.size() % 2 != 0) {
            resp::error(c.out, "ERR wrong number of arguments for 'config|set' command");
            return;
        }
        // Every name is checked before any value is set.
        for (std::size_t i = 2; i < c.argv.size(); i += 2) {
            const Param* p = find_param(c.argv[i]);
            if (!p) {
                resp::error(c.out, fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                                               c.argv[i].substr(0, 128)));
                return;
            }
            if (!p->set) {
                resp::error(c.out, fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - can't set "
                                               "immutable config (cachenode takes it from its command line)",
                                               c.argv[i].substr(0, 128)));
                return;
            }
        }
        for (std::size_t i = 2; i < c.argv.size(); i += 2)
            if (!find_param(c.argv[i])->set(c, c.argv[i + 1])) {
                resp::error(c.out, fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - "
                                               "argument '{}' is not a value it takes",
                                               c.argv[i].substr(0, 128), c.argv[i + 1].substr(0, 128)));
                return;
            }
        resp::simple(c.out, "OK");
        return;
    }
    if (iequals(sub, "GET")) {
        std::vector<const Param*> found;
        for (std::size_t i = 2; i < c.argv.size(); ++i) {
            std::string pattern(c.argv[i]);
            for (const Param& p : params)
                if ((fnmatch(pattern.c_str(), p.name, FNM_CASEFOLD) == 0 ||
                     (p.alias && !std::strchr(pattern.c_str(), '*') && iequals(pattern, p.alias))) &&
                    std::find(found.begin(), found.end(), &p) == found.end())
                    found.push_back(&p);
        }
        resp::map(c.out, found.size(), r3(c));
        for (const Param* p : found) {
            resp::bulk(c.out, p->name);
            resp::bulk(c.out, p->get(c));
        }
        return;
    }
    if (iequals(sub, "RESETSTAT")) {
        c.sh.stats.reset_stats();
        resp::simple(c.out, "OK");
        return;
    }
    if (iequals(sub, "HELP")) {
        resp::help(c.out, "CONFIG",
                   {"GET <pattern> [<pattern> ...]",
                    "    Give the settings whose names match a glob-style pattern, with their values.",
                    "SET <name> <value> [<name> <value> ...]",
                    "    Change settings that can change at run time (the rest come from the command line).",
                    "RESETSTAT", "    Zero the statistics INFO gives.", "REWRITE",
                    "    Refused: cachenode runs without a configuration file to write."});
        return;
    }
    // REWRITE
    resp::error(c.out, "ERR The server is running without a config file");
}

const Command* lookup(std::string_view name) {
    static const auto table = [] {
        std::unordered_map<std::string_view, const Command*> t;
        for (const Command& cmd : commands)
            t.emplace(cmd.name, &cmd);
        return t;
    }();
    char lower[24];
    if (name.size() > sizeof lower)
        return nullptr;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char ch = name[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch | 0x20) : ch;
    }
    auto it = table.find(std::string_view(lower, name.size()));
    return it == table.end() ? nullptr : it->second;
}

/// INFO's mem_allocator, in Redis's form (Redis's test suite runs some tests only on jemalloc).
std::string mem_allocator() {
#ifdef CACHENODE_JEMALLOC
    return fmt::format("jemalloc-{}.{}.{}", JEMALLOC_VERSION_MAJOR, JEMALLOC_VERSION_MINOR, JEMALLOC_VERSION_BUGFIX);
#else
    return "libc";
#endif
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

resp::ParseLimits request_limits(const Shared& sh) {
    resp::ParseLimits l = request_limits(sh.cfg);
    if (std::size_t b = sh.max_bulk.load(std::memory_order_relaxed))
        l.max_bulk = b;
    if (std::size_t r = sh.max_request.load(std::memory_order_relaxed))
        l.max_request = r;
    return l;
}

std::string info_text(const Shared& sh, std::span<const std::string> sections) {
    auto asked = [&](std::string_view s) { return std::find(sections.begin(), sections.end(), s) != sections.end(); };
    // As Redis: several sections give each once; "default" (also no section) is every section
    // but commandstats, which "all" and "everything" add.
    bool every = asked("all") || asked("everything");
    bool all = sections.empty() || every || asked("default");
    std::string t;
    auto want = [&](std::string_view s) { return all || asked(s); };
    const Config& cfg = sh.cfg;
    if (want("server")) {
        utsname u{};
        uname(&u);
        std::uint64_t up = sh.stats.uptime_s();
        // redis_version: the Redis whose commands this answers, for clients that check it.
        t += fmt::format("# Server\r\nredis_version:7.0.0\r\ncachenode_version:{}\r\nredis_mode:{}\r\n"
                         "os:{} {} {}\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\n"
                         "tcp_port:{}\r\nhttp_port:{}\r\nthreads:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\n"
                         "hz:10\r\n\r\n",
                         SYSKIT_VERSION, sh.cluster ? "cluster" : "standalone", u.sysname, u.release, u.machine,
                         getpid(), cfg.port, cfg.http_port, cfg.threads, up, up / 86400);
    }
    if (want("clients"))
        t += fmt::format("# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n\r\n",
                         sh.stats.clients.load(std::memory_order_relaxed), sh.stats.limits.max_clients.load());
    StoreStats st = sh.stats.store_stats();
    if (want("memory")) {
        std::size_t rss = resident_bytes();
        t += fmt::format("# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\n"
                         "used_memory_rss_human:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\n"
                         "mem_allocator:{}\r\n\r\n",
                         st.used, human(st.used), rss, human(rss), st.limit == Store::unlimited ? 0 : st.limit,
                         human(st.limit == Store::unlimited ? 0 : st.limit),
                         policy_name(cfg.store.policy), mem_allocator());
    }
    if (want("stats"))
        t += fmt::format("# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n"
                         "rejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nkeyspace_hits:{}\r\n"
                         "keyspace_misses:{}\r\n\r\n",
                         sh.stats.connections(true), sh.stats.commands_processed(), sh.stats.connections(false),
                         st.expired, st.evictions, st.hits, st.misses);
    if (want("replication") && sh.cluster)
        t += sh.cluster->replication_section() + "\r\n";
    else if (want("replication"))
        t += "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
             "master_repl_offset:0\r\nrepl_backlog_active:0\r\n\r\n";
    if (want("persistence"))
        t += "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\n"
             "rdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n"
             "aof_rewrite_in_progress:0\r\n\r\n";
    if (want("cpu")) {
        rusage self{}, children{};
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
        t += fmt::format("# CPU\r\nused_cpu_sys:{:.6f}\r\nused_cpu_user:{:.6f}\r\nused_cpu_sys_children:{:.6f}\r\n"
                         "used_cpu_user_children:{:.6f}\r\n\r\n",
                         secs(self.ru_stime), secs(self.ru_utime), secs(children.ru_stime), secs(children.ru_utime));
    }
    if (every || asked("commandstats")) {
        t += "# Commandstats\r\n";
        for (std::size_t i = 0; i < std::size(commands); ++i) {
            CommandTotals ct = sh.stats.command(i);
            if (ct.calls || ct.rejected)
                t += fmt::format("cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
                                 commands[i].name, ct.calls, ct.usec,
                                 ct.calls ? static_cast<double>(ct.usec) / static_cast<double>(ct.calls) : 0.0,
                                 ct.rejected, ct.failed);
        }
        t += "\r\n";
    }
    if (sh.cluster && want("cluster"))
        t += sh.cluster->info_section() + "\r\n";
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

static_assert(std::size(commands) <= max_commands, "stats.hpp: max_commands is too small for the command table");

RespSession::RespSession(Shared& shared, WorkerStats& stats)
    : sh_(shared), ws_(stats), authed_(!shared.auth.required()), created_ms_(monotonic_ms()), last_ms_(created_ms_) {
    client_.id = shared.next_client_id.fetch_add(1, std::memory_order_relaxed);
    parser_.set_limits(authed_ ? request_limits(sh_) : unauthenticated_limits);
}

RespSession::~RespSession() {
    if (pause_timer_)
        uv_close(reinterpret_cast<uv_handle_t*>(pause_timer_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    if (!registered_)
        return;
    std::lock_guard lock(sh_.clients.mu);
    sh_.clients.all.erase(client_.id);
}

void RespSession::connected(std::string_view peer, std::string_view local) {
    addr_.assign(peer);
    laddr_.assign(local);
    std::lock_guard lock(sh_.clients.mu);
    sh_.clients.all.emplace(client_.id, this);
    registered_ = true;
}

std::string RespSession::describe() const {
    std::int64_t now = monotonic_ms();
    int cmd = last_command_.load(std::memory_order_relaxed);
    int multi = multi_count_.load(std::memory_order_relaxed);
    return fmt::format("id={} addr={} laddr={} name={} age={} idle={} flags={} db=0 multi={} cmd={} user=default resp={}",
                       client_.id, addr_, laddr_, listed_name_, (now - created_ms_) / 1000,
                       (now - last_ms_.load(std::memory_order_relaxed)) / 1000, multi >= 0 ? "x" : "N", multi,
                       cmd >= 0 ? commands[cmd].name : std::string_view("NULL"),
                       listed_resp_.load(std::memory_order_relaxed));
}

void RespSession::account(int command, std::span<const std::string_view> argv,
                          std::chrono::steady_clock::duration took, bool ok) {
    auto usec = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
    CommandCounters& cc = ws_.commands[static_cast<std::size_t>(command)];
    cc.calls.add();
    cc.usec.add(usec);
    if (!ok)
        cc.failed.add();
    std::int64_t slower = sh_.slowlog_slower_than.load(std::memory_order_relaxed);
    if (slower >= 0 && usec >= static_cast<std::uint64_t>(slower) && !commands[command].flags.empty() &&
        commands[command].flags.find("skip_slowlog") == std::string_view::npos) {
        // Shortened as Redis shortens them: 32 arguments at most, each up to 128 bytes.
        SlowEntry e{0, wall_ms() / 1000, usec, {}, addr_, client_.name};
        std::size_t n = std::min<std::size_t>(argv.size(), 32);
        for (std::size_t i = 0; i < n; ++i) {
            if (i == 31 && argv.size() > 32) {
                e.args.push_back(fmt::format("... ({} more arguments)", argv.size() - 31));
                break;
            }
            if (argv[i].size() > 128)
                e.args.push_back(fmt::format("{}... ({} more bytes)", argv[i].substr(0, 128), argv[i].size() - 128));
            else
                e.args.emplace_back(argv[i]);
        }
        std::lock_guard lock(sh_.slowlog.mu);
        e.id = sh_.slowlog.next_id++;
        sh_.slowlog.entries.push_front(std::move(e));
        while (sh_.slowlog.entries.size() > sh_.slowlog_max_len.load(std::memory_order_relaxed))
            sh_.slowlog.entries.pop_back();
    }
    std::uint64_t threshold = sh_.latency_threshold_ms.load(std::memory_order_relaxed);
    if (threshold && usec / 1000 >= threshold) {
        std::lock_guard lock(sh_.latency.mu);
        sh_.latency.latest_time_s = wall_ms() / 1000;
        sh_.latency.latest_ms = usec / 1000;
        sh_.latency.max_ms = std::max(sh_.latency.max_ms, usec / 1000);
    }
}

net::After RespSession::on_data(std::string_view in, std::size_t& consumed, std::string& out) {
    consumed = 0;
    if (killed()) {
        consumed = in.size();
        return net::After::close;
    }
    auto start = std::chrono::steady_clock::now();
    last_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count(),
                   std::memory_order_relaxed);
    Store::TimeScope at(sh_.store, start);
    // Cluster mode: the bus sends the replicas this read's writes at once, after the last.
    std::optional<cluster::Replication::Batch> batch;
    if (sh_.cluster)
        batch.emplace(sh_.cluster->repl());
    clock_ = start;
    // CONFIG SET of the request limits, by any client, holds from this client's next read.
    if (authed_)
        parser_.set_limits(request_limits(sh_));
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
        if (!argv_.empty() && held(argv_)) {
            // Left unconsumed, to be parsed again once the pause ends.
            wait_for_unpause();
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
    // The read's time ends where its last command's did (execute() reads the clock after each).
    if (answered)
        ws_.answered(answered, clock_ - start);
    return after;
}

bool RespSession::held(std::span<const std::string_view> argv) const {
    auto mode = sh_.pause.mode.load(std::memory_order_relaxed);
    if (mode == Shared::Pause::none || client_.master || monotonic_ms() >= sh_.pause.end_ms.load(std::memory_order_relaxed))
        return false;
    if (mode == Shared::Pause::all)
        return true;
    // WRITE: what would change data waits; inside MULTI, commands are queued as usual and
    // EXEC waits when one of them writes.
    auto writes = [](std::string_view name) {
        const Command* cmd = lookup(name);
        return cmd && cmd->flags.find("write") != std::string_view::npos;
    };
    if (iequals(argv[0], "EXEC"))
        return in_multi_ && std::any_of(queued_.begin(), queued_.end(), [&](const auto& q) { return writes(q[0]); });
    if (in_multi_ && !iequals(argv[0], "MULTI") && !iequals(argv[0], "DISCARD") && !iequals(argv[0], "WATCH"))
        return false;
    return writes(argv[0]);
}

void RespSession::wait_for_unpause() {
    if (!loop_)
        return;
    if (!pause_timer_) {
        pause_timer_ = new uv_timer_t;
        uv_timer_init(loop_, pause_timer_);
        pause_timer_->data = this;
    }
    // Looked at every 10 ms rather than once at the end, so CLIENT UNPAUSE takes effect at once.
    uv_timer_start(pause_timer_,
                   [](uv_timer_t* t) {
                       auto* self = static_cast<RespSession*>(t->data);
                       uv_timer_stop(t);
                       self->resume_();
                   },
                   10, 0);
}

void RespSession::attached(uv_loop_t* loop, std::function<void()> resume) {
    loop_ = loop;
    resume_ = std::move(resume);
}

bool RespSession::oom_refused(std::string_view name) const {
    auto denyoom = [](std::string_view name) {
        const Command* c = lookup(name);
        return c && c->flags.find("denyoom") != std::string_view::npos;
    };
    if (name == "exec")
        return std::any_of(queued_.begin(), queued_.end(), [&](const auto& q) { return denyoom(q[0]); });
    if (in_multi_ && name != "discard" && name != "quit" && name != "reset")
        return true;
    return denyoom(name);
}

void RespSession::execute(std::span<const std::string_view> argv, std::string& out, bool& quit) {
    std::size_t mark = out.size();
    // The command's row in the table INFO commandstats counts by; -1 for none (unknown, or
    // WAIT or ROLE, which only cluster mode has and are not counted).  A pipeline repeats one
    // command, so the name as last spelled is tried before the table.
    const Command* cmd;
    int index = -1;
    if (last_index_ >= 0 && argv[0] == last_name_) {
        index = last_index_;
        cmd = &commands[index];
    } else {
        cmd = lookup(argv[0]);
        if (!cmd && sh_.cluster)
            cmd = cluster_lookup(argv[0]);
        std::less<const Command*> before;
        if (cmd && !before(cmd, std::begin(commands)) && before(cmd, std::end(commands))) {
            index = static_cast<int>(cmd - std::begin(commands));
            last_name_.assign(argv[0]);
            last_index_ = index;
        }
    }
    bool was_authed = authed_;
    Op op = cmd ? cmd->op : Op::unknown;
    auto wrong_arity = [&](int arity) { return !arity_ok(arity, argv.size()); };
    // As Redis: a subcommand is looked up, and its arity checked, before it runs, or is queued.
    const Subcommand* sub = nullptr;
    bool unknown_sub = false;
    if (cmd && argv.size() >= 2 && has_subcommands(cmd->name)) {
        sub = find_subcommand(cmd->name, argv[1]);
        unknown_sub = !sub;
    }
    bool bad = !cmd || wrong_arity(cmd->arity) || unknown_sub || (sub && wrong_arity(sub->arity));
    if (in_multi_ && bad && authed_)
        multi_dirty_ = true; // the error below, then EXECABORT
    bool ran = false;
    if (!authed_ && !(cmd && cmd->before_auth)) {
        resp::error(out, "NOAUTH Authentication required.");
    } else if (!cmd || unknown_sub) {
        // Each quoted as Redis formats it, as a C string: up to its first NUL.
        auto quoted = [](std::string_view a) { return a.substr(0, std::min<std::size_t>(a.find('\0'), 128)); };
        std::string msg;
        if (unknown_sub) {
            std::string container(cmd->name);
            std::transform(container.begin(), container.end(), container.begin(), [](char ch) { return ch & ~0x20; });
            msg = fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", quoted(argv[1]), container);
        } else {
            msg = fmt::format("ERR unknown command '{}', with args beginning with: ", quoted(argv[0]));
            for (std::size_t i = 1; i < argv.size() && msg.size() < 1024; ++i)
                msg += fmt::format("'{}' ", quoted(argv[i]));
        }
        resp::error(out, msg);
    } else if (wrong_arity(cmd->arity)) {
        resp::error(out, fmt::format("ERR wrong number of arguments for '{}' command", cmd->name));
    } else if (sub && wrong_arity(sub->arity)) {
        resp::error(out, fmt::format("ERR wrong number of arguments for '{}|{}' command", sub->container, sub->name));
    } else if (sh_.cluster && !client_.master &&
               !sh_.cluster->route(argv, routed_keys(*cmd), client_.cluster, out)) {
        // Redirected or refused by the cluster (cluster.hpp): the reply is in out.
    } else if (in_multi_ && cmd->flags.find("no_multi") != std::string_view::npos) {
        multi_dirty_ = true;
        resp::error(out, "ERR Command not allowed inside a transaction");
    } else if (!client_.master && sh_.store.over_limit() && oom_refused(cmd->name)) {
        // As Redis: over the limit, a command that may add memory is refused, and in MULTI
        // so is queueing anything but EXEC, DISCARD, QUIT and RESET.
        if (cmd->name == "exec") {
            in_multi_ = false;
            queued_.clear();
            watched_.clear();
            resp::error(out, "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > "
                             "'maxmemory'.");
        } else {
            if (in_multi_)
                multi_dirty_ = true;
            err_oom(out);
        }
    } else {
        last_command_.store(index, std::memory_order_relaxed);
        queued_now_ = false;
        // Cluster mode: a write and its place in the replication stream are one step (repl.hpp).
        bool writes = sh_.cluster && !client_.master &&
                      (cmd->flags.find("write") != std::string_view::npos || cmd->name == "exec");
        std::unique_lock<std::recursive_mutex> ordered;
        if (writes)
            ordered = std::unique_lock(sh_.cluster->repl().write_mutex());
        // EXEC's writes reach the replicas as one transaction.
        std::optional<cluster::Replication::Transaction> unit;
        if (writes && cmd->name == "exec" && in_multi_)
            unit.emplace(sh_.cluster->repl());
        if (!transaction(cmd->name, argv, out, quit)) {
            Ctx c{sh_, argv, out, quit, authed_, client_, *this};
            cmd->run(c);
        }
        if (writes && !queued_now_ && cmd->name != "exec")
            sh_.cluster->repl().feed(argv, out.size() > mark && out[mark] != '-');
        // One clock reading per command: its time runs from the end of the one before it (or
        // the read that brought it), which adds only the parsing of its request.
        auto now = std::chrono::steady_clock::now();
        // A command queued in MULTI counts when EXEC runs it.
        if (!queued_now_ && index >= 0)
            account(index, argv, now - clock_, out.size() > mark && out[mark] != '-');
        clock_ = now;
        ran = true;
    }
    if (!ran && index >= 0)
        ws_.commands[static_cast<std::size_t>(index)].rejected.add();
    if (client_.name.size() != listed_name_.size() || client_.name != listed_name_ ||
        listed_resp_.load(std::memory_order_relaxed) != client_.resp) {
        std::lock_guard lock(sh_.clients.mu);
        listed_name_ = client_.name;
        listed_resp_.store(client_.resp, std::memory_order_relaxed);
    }
    multi_count_.store(in_multi_ ? static_cast<int>(queued_.size()) : -1, std::memory_order_relaxed);
    if (authed_ && !was_authed)
        parser_.set_limits(request_limits(sh_));
    bool ok = out.size() > mark && out[mark] != '-';
    // CLIENT REPLY OFF and SKIP: the command ran, its reply is dropped (SKIP: this once, after
    // the SKIP itself).
    if (client_.reply == ClientState::Reply::off || skip_next_) {
        out.resize(mark);
        skip_next_ = false;
    } else if (client_.reply == ClientState::Reply::skip) {
        out.resize(mark);
        client_.reply = ClientState::Reply::on;
        skip_next_ = true;
    }
    ws_.record(Proto::resp, op, ok);
}

} // namespace syskit::cachenode

namespace syskit::cachenode {

RespSession::Watched RespSession::snapshot(std::string_view key) {
    Watched w{std::string(key), false, 0, 0, 0};
    // Redis's WATCH does not use the key: no access time or hit counted.
    w.found = sh_.store.inspect(key, [&](const Current& cur) {
        w.value_hash = Store::hash(cur.value);
        w.value_len = cur.value.size();
        if (cur.type == Type::hash) {
            // A digest of the fields that does not depend on their order in the table.
            w.value_hash = 0;
            w.value_len = cur.hash->size();
            cur.hash->for_each([&](std::string_view f, std::string_view v) {
                w.value_hash += Store::hash(f) * 0x9E3779B97F4A7C15ull ^ Store::hash(v);
            });
        }
        w.expire_at = cur.expire_at;
    });
    return w;
}

bool RespSession::transaction(std::string_view name, std::span<const std::string_view> argv,
                              std::string& out, bool& quit) {
    if (name == "multi") {
        if (in_multi_) {
            resp::error(out, "ERR MULTI calls can not be nested");
            return true;
        }
        in_multi_ = true;
        multi_dirty_ = false;
        queued_.clear();
        resp::simple(out, "OK");
        return true;
    }
    if (name == "watch") {
        if (in_multi_) {
            resp::error(out, "ERR WATCH inside MULTI is not allowed");
            return true;
        }
        for (std::size_t i = 1; i < argv.size(); ++i)
            if (std::none_of(watched_.begin(), watched_.end(), [&](const Watched& w) { return w.key == argv[i]; }))
                watched_.push_back(snapshot(argv[i]));
        resp::simple(out, "OK");
        return true;
    }
    if (name == "unwatch") {
        watched_.clear();
        resp::simple(out, "OK");
        return true;
    }
    if (name == "discard" || name == "exec") {
        if (!in_multi_) {
            resp::error(out, name == "exec" ? "ERR EXEC without MULTI" : "ERR DISCARD without MULTI");
            return true;
        }
        in_multi_ = false;
        auto queued = std::move(queued_);
        queued_.clear();
        if (name == "discard") {
            watched_.clear();
            resp::simple(out, "OK");
            return true;
        }
        if (multi_dirty_) {
            watched_.clear();
            resp::error(out, "EXECABORT Transaction discarded because of previous errors.");
            return true;
        }
        // Every shard locked: no other client, on any thread, sees the transaction half done
        // or changes a watched key between the check and the commands.
        Store::Lock all(sh_.store);
        bool changed = false;
        for (const Watched& w : watched_) {
            Watched now = snapshot(w.key);
            changed |= now.found != w.found || now.value_hash != w.value_hash || now.value_len != w.value_len ||
                       now.expire_at != w.expire_at;
        }
        watched_.clear();
        if (changed) {
            resp::null_array(out, client_.resp == 3);
            return true;
        }
        resp::array(out, queued.size());
        std::vector<std::string_view> args;
        for (const auto& q : queued) {
            args.assign(q.begin(), q.end());
            execute(args, out, quit);
        }
        return true;
    }
    if (name == "reset") {
        in_multi_ = false;
        queued_.clear();
        watched_.clear();
        return false; // and cmd_reset does the rest
    }
    if (!in_multi_ || name == "quit")
        return false;
    queued_.emplace_back(argv.begin(), argv.end());
    queued_now_ = true;
    resp::simple(out, "QUEUED");
    return true;
}

} // namespace syskit::cachenode

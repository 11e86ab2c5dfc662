#include "config.hpp"

#include "cli/duration.hpp"
#include "cli/size.hpp"
#include "fs/dir.hpp"
#include "fs/fd.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syskit::logroll::config {

namespace {

/// Includes nested deeper than this are a loop (logrotate's own limit is lower still).
constexpr unsigned max_depth = 16;

/// Directives logrotate knows that logroll leaves out with a warning: each does nothing a
/// log's rotation depends on.
struct Ignored {
    std::string_view name, why;
};
constexpr Ignored ignored[] = {
    {"compressoptions", "logroll compresses at its own level"},
    {"uncompresscmd", "logroll never uncompresses"},
    {"mail", "logroll does not mail logs"},
    {"mailfirst", "logroll does not mail logs"},
    {"maillast", "logroll does not mail logs"},
    {"start", "numbered names start at 1 and count up"},
    {"errors", "errors go to standard error and the journal"},
    {"shredcycles", "logroll does not shred"},
    {"allowhardlink", "logroll rotates by rename, which keeps hard links"},
    {"noallowhardlink", "logroll rotates by rename, which keeps hard links"},
    {"createolddir", "logroll does not create olddir: make it beforehand"},
    {"dateyesterday", "logroll's names carry the time of the rotation"},
};

/// Directives logrotate knows that logroll refuses, with the reason: ignoring them would
/// lose data or break a promise the file makes.
struct Refused {
    std::string_view name, why;
};
constexpr Refused refused[] = {
    {"copy", "logroll does not copy a log without truncating it; use copytruncate"},
    {"renamecopy", "logroll moves rotated files by rename only (olddir on the same file system)"},
    {"shred", "logroll cannot promise that deleted rotated files are overwritten"},
    {"extension", "logroll's rotated names end in the stamp or number (and .gz or .zst)"},
    {"addextension", "logroll's rotated names end in the stamp or number (and .gz or .zst)"},
    {"minage", "logroll has no minimum age for deleting rotated files"},
    {"preremove", "logroll runs no script before deleting a rotated file"},
};

/// Directives that restate logroll's (and logrotate's) defaults.
constexpr std::string_view no_ops[] = {"nomail", "noshred", "nocopy", "norenamecopy", "nocreateolddir"};

/// Splits a line into words: blanks separate them, "..." and '...' quote, and '{' and '}'
/// are words of their own.  A word starting with # ends the line.
/// Whether c separates words; std::strchr would also match the NUL a line may hold.
bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        char c = line[i];
        if (blank(c)) {
            ++i;
        } else if (c == '#') {
            break;
        } else if (c == '{' || c == '}') {
            out.emplace_back(1, c);
            ++i;
        } else if (c == '"' || c == '\'') {
            std::size_t end = line.find(c, i + 1);
            if (end == std::string_view::npos)
                end = line.size();
            out.emplace_back(line.substr(i + 1, end - i - 1));
            i = end + 1;
        } else {
            std::size_t end = i;
            while (end < line.size() && !blank(line[end]) && line[end] != '{' && line[end] != '}')
                ++end;
            out.emplace_back(line.substr(i, end - i));
            i = end;
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

std::optional<std::uint64_t> count(std::string_view s) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoull(std::string(s));
}

/// Applies one directive (not include, not a script) to d.  Returns "" when applied, or why
/// it was refused; sets warning when it was ignored, comment when logroll does it its way.
std::string apply(Directives& d, Config& cfg, const std::string& key, const std::vector<std::string>& args,
                  std::string& warning, std::string& comment) {
    auto want = [&](std::size_t lo, std::size_t hi) -> std::string {
        if (args.size() < lo || args.size() > hi)
            return lo == hi ? fmt::format("takes {} argument{}", lo, lo == 1 ? "" : "s")
                            : fmt::format("takes {} to {} arguments", lo, hi);
        return "";
    };
    auto size_arg = [&](std::optional<std::uint64_t>& into) -> std::string {
        if (auto e = want(1, 1); !e.empty())
            return e;
        std::string_view t = args[0];
        if (!t.empty() && t[0] == '+')
            t.remove_prefix(1);
        auto v = cli::parse_size(t);
        if (!v)
            return cli::not_a_size(args[0]);
        into = *v;
        return "";
    };
    auto flag = [&](bool& into, bool value) -> std::string {
        into = value;
        return want(0, 0);
    };
    for (auto& i : ignored)
        if (key == i.name) {
            warning = fmt::format("{}: ignored: {}", key, i.why);
            comment = warning;
            return "";
        }
    for (auto& r : refused)
        if (key == r.name)
            return fmt::format("{}: refused: {}", key, r.why);
    for (auto n : no_ops)
        if (key == n)
            return want(0, 0);
    if (key == "hourly" || key == "daily" || key == "monthly" || key == "yearly") {
        d.interval = key == "hourly" ? Interval::hourly
                     : key == "daily" ? Interval::daily
                     : key == "monthly" ? Interval::monthly
                                        : Interval::yearly;
        d.size.reset(); // logrotate: the last of size and an interval wins
        return want(0, 0);
    }
    if (key == "weekly") {
        if (auto e = want(0, 1); !e.empty())
            return e;
        d.interval = Interval::weekly;
        d.size.reset();
        if (!args.empty()) {
            warning = fmt::format("weekly {}: the weekday is ignored: logroll rotates in the first run of a new week",
                                  args[0]);
            comment = warning;
        }
        return "";
    }
    if (key == "size") {
        auto e = size_arg(d.size);
        if (e.empty())
            d.interval = Interval::none;
        return e;
    }
    if (key == "maxsize")
        return size_arg(d.maxsize);
    if (key == "minsize")
        return size_arg(d.minsize);
    if (key == "rotate") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        auto n = count(args[0]);
        if (!n)
            return fmt::format("'{}' is not a count of rotated files (0 or more)", args[0]);
        d.rotate = *n;
        return "";
    }
    if (key == "maxage") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        auto n = count(args[0]);
        if (!n)
            return fmt::format("'{}' is not a number of days", args[0]);
        d.maxage = static_cast<std::int64_t>(*n) * 86400;
        return "";
    }
    if (key == "compress")
        return flag(d.compress, true);
    if (key == "nocompress")
        return flag(d.compress, false);
    if (key == "compresscmd") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        std::string_view cmd = args[0];
        if (auto slash = cmd.rfind('/'); slash != std::string_view::npos)
            cmd.remove_prefix(slash + 1);
        if (cmd == "gzip" || cmd == "pigz")
            d.algorithm = Compression::gzip;
        else if (cmd == "zstd" || cmd == "pzstd")
            d.algorithm = Compression::zstd;
        else
            return fmt::format("compresscmd {}: refused: logroll compresses with gzip or zstd only", args[0]);
        comment = fmt::format("compresscmd {}: logroll compresses with {} itself", args[0],
                              d.algorithm == Compression::gzip ? "zlib" : "libzstd");
        return "";
    }
    if (key == "compressext") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        if (args[0] == ".gz" || args[0] == ".zst")
            return "";
        return fmt::format("compressext {}: refused: logroll's compressed names end in .gz or .zst", args[0]);
    }
    if (key == "delaycompress")
        return flag(d.delaycompress, true);
    if (key == "nodelaycompress")
        return flag(d.delaycompress, false);
    if (key == "dateext")
        return flag(d.dateext, true);
    if (key == "nodateext")
        return flag(d.dateext, false);
    if (key == "dateformat") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        d.dateformat = args[0];
        warning = fmt::format("dateformat {}: logroll names rotated files NAME.YYYYMMDDTHHMMSSZ (UTC) instead",
                              args[0]);
        comment = warning;
        return "";
    }
    if (key == "copytruncate")
        return flag(d.copytruncate, true);
    if (key == "nocopytruncate")
        return flag(d.copytruncate, false);
    if (key == "missingok")
        return flag(d.missingok, true);
    if (key == "nomissingok")
        return flag(d.missingok, false);
    if (key == "ifempty")
        return flag(d.ifempty, true);
    if (key == "notifempty")
        return flag(d.ifempty, false);
    if (key == "sharedscripts")
        return flag(d.sharedscripts, true);
    if (key == "nosharedscripts")
        return flag(d.sharedscripts, false);
    if (key == "nocreate")
        return flag(d.create, false);
    if (key == "create") {
        if (auto e = want(0, 3); !e.empty())
            return e;
        d.create = true;
        d.create_mode.reset();
        d.create_owner.clear();
        d.create_group.clear();
        if (!args.empty()) {
            const auto& m = args[0];
            if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos)
                return fmt::format("create {}: '{}' is not an octal mode such as 0640", m, m);
            d.create_mode = static_cast<mode_t>(std::stoul(m, nullptr, 8));
        }
        if (args.size() > 1)
            d.create_owner = args[1];
        if (args.size() > 2)
            d.create_group = args[2];
        return "";
    }
    if (key == "olddir") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        d.olddir = args[0];
        return "";
    }
    if (key == "noolddir") {
        d.olddir.clear();
        return want(0, 0);
    }
    if (key == "su") {
        if (auto e = want(1, 2); !e.empty())
            return e;
        d.su_user = args[0];
        d.su_group = args.size() > 1 ? args[1] : "";
        return "";
    }
    if (key == "scriptsasroot")
        return flag(d.scripts_as_root, true);
    if (key == "noscriptsasroot")
        return flag(d.scripts_as_root, false);
    if (key == "scripttimeout") {
        if (auto e = want(1, 1); !e.empty())
            return e;
        auto v = cli::parse_duration(args[0]);
        if (!v || *v <= 0)
            return cli::not_a_duration(args[0]);
        d.script_timeout = static_cast<double>(*v);
        return "";
    }
    if (key == "tabooext" || key == "taboopat") {
        auto& list = key == "tabooext" ? cfg.tabooext : cfg.taboopat;
        std::vector<std::string> items;
        bool add = !args.empty() && args[0] == "+";
        for (std::size_t i = add ? 1 : 0; i < args.size(); ++i) {
            std::string_view rest = args[i];
            while (!rest.empty()) {
                auto comma = rest.find(',');
                auto item = trim(rest.substr(0, comma));
                if (!item.empty())
                    items.emplace_back(item);
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            }
        }
        if (!add)
            list.clear();
        list.insert(list.end(), items.begin(), items.end());
        return "";
    }
    return fmt::format("{}: unknown directive", key);
}

/// block, its comments completed with what only its whole set of directives shows.
Block finished(Block block) {
    const Directives& d = block.d;
    const bool scripts = !d.prerotate.empty() || !d.postrotate.empty() || !d.firstaction.empty() ||
                         !d.lastaction.empty();
    if (scripts && !d.su_user.empty() && d.su_user != "root" && d.su_user != "0" && !d.scripts_as_root)
        block.comments.push_back(fmt::format("su {}: the scripts run as {} too (logrotate runs them as root); "
                                             "'scriptsasroot' runs them as root",
                                             d.su_user, d.su_user));
    return block;
}

bool is_script(std::string_view key) {
    return key == "prerotate" || key == "postrotate" || key == "firstaction" || key == "lastaction" ||
           key == "preremove";
}

std::string* script_of(Directives& d, std::string_view key) {
    if (key == "prerotate")
        return &d.prerotate;
    if (key == "postrotate")
        return &d.postrotate;
    if (key == "firstaction")
        return &d.firstaction;
    if (key == "lastaction")
        return &d.lastaction;
    return nullptr;
}

} // namespace

std::string_view interval_name(Interval i) {
    switch (i) {
    case Interval::hourly: return "hourly";
    case Interval::daily: return "daily";
    case Interval::weekly: return "weekly";
    case Interval::monthly: return "monthly";
    case Interval::yearly: return "yearly";
    case Interval::none: break;
    }
    return "";
}

bool taboo(const Config& cfg, std::string_view name) {
    if (name.empty() || name[0] == '.')
        return true;
    std::string n(name);
    for (const auto& ext : cfg.tabooext) {
        // An extension may be a pattern itself (".rhn-cfg-tmp-*").
        std::string pattern(1, '*');
        pattern += ext;
        if (fnmatch(pattern.c_str(), n.c_str(), 0) == 0)
            return true;
    }
    for (const auto& pat : cfg.taboopat)
        if (fnmatch(pat.c_str(), n.c_str(), 0) == 0)
            return true;
    return false;
}

void parse(std::string_view text, const std::string& name, Directives& defaults, Config& cfg, const Includer& includer,
           unsigned depth) {
    enum class State { outside, patterns, block, script } state = State::outside;
    Block block;           // the block being read
    bool block_ok = true;  // no directive of it refused so far
    std::string* script = nullptr;
    std::string script_text;
    State after_script = State::block;
    unsigned line_no = 0, script_line = 0;
    auto error = [&](unsigned line, std::string text) { cfg.errors.push_back({name, line, std::move(text)}); };

    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;

        if (state == State::script) {
            auto t = trim(line);
            if (t == "endscript" || t.starts_with("endscript ") || t.starts_with("endscript\t")) {
                if (script)
                    *script = std::move(script_text);
                script_text.clear();
                state = after_script;
            } else {
                script_text.append(line).push_back('\n');
            }
            continue;
        }
        auto w = words(line);
        std::size_t i = 0;
        while (i < w.size()) {
            const std::string& first = w[i];
            if (state == State::block) {
                if (first == "}") {
                    if (block_ok)
                        cfg.blocks.push_back(finished(std::move(block)));
                    block = Block{};
                    state = State::outside;
                    ++i;
                    continue;
                }
                if (first == "{") {
                    error(line_no, "'{' inside a block: blocks do not nest; the rest of the file is left out");
                    return;
                }
                // A directive: the rest of the line, up to a closing brace.
                std::size_t end = i + 1;
                while (end < w.size() && w[end] != "}" && w[end] != "{")
                    ++end;
                std::string key = first;
                std::vector<std::string> args(w.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                              w.begin() + static_cast<std::ptrdiff_t>(end));
                if (auto eq = key.find('='); eq != std::string::npos) {
                    if (eq + 1 < key.size())
                        args.insert(args.begin(), key.substr(eq + 1));
                    key.resize(eq);
                }
                i = end;
                if (is_script(key)) {
                    script = script_of(block.d, key);
                    if (!script) {
                        error(line_no, fmt::format("{}: refused: logroll runs no script before deleting a rotated file",
                                                   key));
                        block_ok = false;
                    }
                    state = State::script;
                    after_script = State::block;
                    script_line = line_no;
                    break;
                }
                if (key == "include") {
                    error(line_no, "include: not allowed inside a block");
                    block_ok = false;
                    continue;
                }
                std::string warning, comment;
                auto why = apply(block.d, cfg, key, args, warning, comment);
                if (!why.empty()) {
                    if (!why.starts_with(key))
                        why = fmt::format("{}: {}", key, why);
                    error(line_no, fmt::format("{}; the block of {} is left out", why, block.patterns.front()));
                    block_ok = false;
                }
                if (!warning.empty())
                    cfg.warnings.push_back({name, line_no, warning});
                if (!comment.empty())
                    block.comments.push_back(comment);
                continue;
            }
            // Outside a block: patterns up to a '{', or a default directive, or a stray brace.
            if (first == "{") {
                if (state != State::patterns) {
                    error(line_no, "'{' with no log file names before it; the rest of the file is left out");
                    return;
                }
                block.d = defaults;
                block_ok = true;
                state = State::block;
                ++i;
                continue;
            }
            if (first == "}") {
                error(line_no, "'}' with no block to close; the rest of the file is left out");
                return;
            }
            const bool directive = state == State::outside && ((first[0] >= 'a' && first[0] <= 'z') ||
                                                               (first[0] >= 'A' && first[0] <= 'Z'));
            if (!directive) {
                if (state == State::outside) {
                    block = Block{};
                    block.file = name;
                    block.line = line_no;
                }
                block.patterns.push_back(first);
                state = State::patterns;
                ++i;
                continue;
            }
            std::string key = first;
            std::vector<std::string> args(w.begin() + static_cast<std::ptrdiff_t>(i) + 1, w.end());
            if (auto eq = key.find('='); eq != std::string::npos) {
                if (eq + 1 < key.size())
                    args.insert(args.begin(), key.substr(eq + 1));
                key.resize(eq);
            }
            i = w.size();
            if (std::find(args.begin(), args.end(), "{") != args.end() ||
                std::find(args.begin(), args.end(), "}") != args.end()) {
                error(line_no, fmt::format("{}: a brace after a directive; the rest of the file is left out", key));
                return;
            }
            if (is_script(key)) {
                error(line_no, fmt::format("{}: scripts belong inside a block", key));
                script = nullptr;
                state = State::script;
                after_script = State::outside;
                script_line = line_no;
                break;
            }
            if (key == "include") {
                if (args.size() != 1) {
                    error(line_no, "include: takes 1 argument");
                } else if (!includer) {
                    error(line_no, fmt::format("include {}: not followed here", args[0]));
                } else if (depth + 1 > max_depth) {
                    error(line_no, fmt::format("include {}: nested too deep (an include loop?)", args[0]));
                } else {
                    // What the included text sets outside its blocks applies to it alone.
                    Directives inner = defaults;
                    std::string why;
                    if (!includer(args[0], inner, cfg, depth + 1, why))
                        error(line_no, fmt::format("include {}: {}", args[0], why));
                }
                continue;
            }
            std::string warning, comment;
            auto why = apply(defaults, cfg, key, args, warning, comment);
            if (!why.empty()) {
                if (!why.starts_with(key))
                    why = fmt::format("{}: {}", key, why);
                error(line_no, why + "; the default is left as it was");
            }
            if (!warning.empty())
                cfg.warnings.push_back({name, line_no, warning});
            if (!comment.empty())
                cfg.global_comments.push_back(comment);
        }
    }
    if (state == State::script)
        error(script_line, "a script with no endscript");
    else if (state == State::block)
        error(block.line, fmt::format("the block of {} is not closed", block.patterns.front()));
    else if (state == State::patterns)
        error(block.line, fmt::format("{}: log file names with no block after them", block.patterns.front()));
}

namespace {

/// The largest configuration file read: a log rotation config is a few kilobytes.
constexpr std::size_t max_file = 4 << 20;

bool load_at(const std::string& path, Directives& defaults, Config& cfg, unsigned depth, std::string& error) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
        error = std::strerror(errno);
        return false;
    }
    Includer includer = [](const std::string& p, Directives& d, Config& c, unsigned dep, std::string& e) {
        return load_at(p, d, c, dep, e);
    };
    if (!S_ISDIR(st.st_mode)) {
        std::string text;
        if (!fs::read_file(path.c_str(), text, max_file)) {
            error = std::strerror(errno);
            return false;
        }
        parse(text, path, defaults, cfg, includer, depth);
        return true;
    }
    fs::UniqueFd dirfd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    fs::DirReader dir = dirfd ? fs::DirReader::open(dirfd.get(), ".") : fs::DirReader{};
    if (!dirfd || !dir) {
        error = std::strerror(errno);
        return false;
    }
    std::vector<std::string> names;
    while (const fs::DirEntry* e = dir.next())
        if (!taboo(cfg, e->name))
            names.emplace_back(e->name);
    if (dir.error()) {
        error = std::strerror(dir.error());
        return false;
    }
    std::sort(names.begin(), names.end());
    const std::string prefix = path.ends_with('/') ? path : path + "/";
    for (const auto& n : names) {
        struct stat fst{};
        if (::fstatat(dirfd.get(), n.c_str(), &fst, 0) != 0 || !S_ISREG(fst.st_mode))
            continue;
        Directives d = defaults;
        std::string text;
        if (!fs::read_file(n.c_str(), text, max_file, dirfd.get())) {
            cfg.errors.push_back({prefix + n, 0, std::strerror(errno)});
            continue;
        }
        parse(text, prefix + n, d, cfg, includer, depth);
    }
    return true;
}

} // namespace

bool load(const std::string& path, Config& cfg, std::string& error) {
    Directives defaults;
    return load_at(path, defaults, cfg, 0, error);
}

namespace {

/// Quotes s when words() would split it: every character blank() takes counts, not just
/// space and tab.
std::string quoted(const std::string& s) {
    if (!s.empty() && s.find_first_of(" \t\r\f\v{}#\"'") == std::string::npos)
        return s;
    if (s.find('"') == std::string::npos)
        return fmt::format("\"{}\"", s);
    return fmt::format("'{}'", s);
}

} // namespace

std::string to_text(const Block& b) {
    const Directives& d = b.d;
    std::string out;
    for (const auto& c : b.comments)
        out += fmt::format("# {}\n", c);
    for (std::size_t i = 0; i < b.patterns.size(); ++i) {
        if (i)
            out += ' ';
        out += quoted(b.patterns[i]);
    }
    out += " {\n";
    auto line = [&](const std::string& s) { out += fmt::format("    {}\n", s); };
    if (d.interval != Interval::none)
        line(std::string(interval_name(d.interval)));
    if (d.size)
        line(fmt::format("size {}", *d.size));
    if (d.maxsize)
        line(fmt::format("maxsize {}", *d.maxsize));
    if (d.minsize)
        line(fmt::format("minsize {}", *d.minsize));
    line(fmt::format("rotate {}", d.rotate));
    if (d.maxage)
        line(fmt::format("maxage {}", *d.maxage / 86400));
    if (d.compress) {
        line("compress");
        if (d.algorithm == Compression::zstd)
            line("compresscmd zstd");
    }
    if (d.delaycompress)
        line("delaycompress");
    if (d.dateext)
        line("dateext");
    if (d.copytruncate)
        line("copytruncate");
    if (d.missingok)
        line("missingok");
    if (!d.ifempty)
        line("notifempty");
    if (d.sharedscripts)
        line("sharedscripts");
    if (d.create) {
        std::string c = "create";
        if (d.create_mode)
            c += fmt::format(" {:04o}", *d.create_mode);
        if (!d.create_owner.empty())
            c += fmt::format(" {}", quoted(d.create_owner));
        if (!d.create_group.empty())
            c += fmt::format(" {}", quoted(d.create_group));
        line(c);
    }
    if (!d.olddir.empty())
        line(fmt::format("olddir {}", quoted(d.olddir)));
    if (!d.su_user.empty()) {
        std::string su = fmt::format("su {}", quoted(d.su_user));
        if (!d.su_group.empty())
            su += fmt::format(" {}", quoted(d.su_group));
        line(su);
        if (d.scripts_as_root)
            line("scriptsasroot");
    }
    if (d.script_timeout != 300)
        line(fmt::format("scripttimeout {}s", static_cast<std::int64_t>(d.script_timeout)));
    for (auto [key, text] : {std::pair{"firstaction", &d.firstaction}, {"prerotate", &d.prerotate},
                             {"postrotate", &d.postrotate}, {"lastaction", &d.lastaction}}) {
        if (text->empty())
            continue;
        line(key);
        out += *text;
        line("endscript");
    }
    out += "}\n";
    return out;
}

} // namespace syskit::logroll::config

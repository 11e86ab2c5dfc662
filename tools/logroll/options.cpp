#include "options.hpp"

#include "cli/duration.hpp"
#include "cli/log_format.hpp"
#include "cli/size.hpp"

#include <CLI/CLI.hpp>

#include <signal.h>
#include <strings.h>

#include <type_traits>
#include <variant>

namespace syskit::logroll {

namespace {

/// The longest --wait, a day, as CLI11's range check allowed before finish() read it.
constexpr double max_wait = 86400;

/// The state file of --config when --state does not name one.
constexpr const char* default_state = "/var/lib/logroll/status";

/// The logrotate state file --config imports on its first run (Debian's).
constexpr const char* default_logrotate_state = "/var/lib/logrotate/status";

/// --wait's SECS into wait, when given.
std::optional<cli::Problem> wait_of(const std::optional<std::string>& text, double& wait) {
    if (!text)
        return std::nullopt;
    auto v = cli::parse_seconds(*text, max_wait);
    if (!v)
        return cli::Problem{"--wait", "'" + *text + "' is not a number of seconds from 0 to 86400"};
    wait = *v;
    return std::nullopt;
}

/// finish() for --config and --convert: the logs come from the files, so the options that
/// describe one log on the command line do not apply.
std::optional<cli::Problem> finish_config(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    if (!o.config.empty() && !o.convert.empty())
        return Problem{"--config", "cannot be combined with --convert"};
    const char* mode = o.config.empty() ? "--convert" : "--config";
    o.mode = o.config.empty() ? Mode::convert : Mode::config;
    const std::pair<bool, const char*> per_log[] = {
        {!o.path.empty(), "FILE"}, {r.watch, "--watch"}, {r.once, "--once"}, {!r.size.empty(), "--size"},
        {!r.interval.empty(), "--interval"}, {!r.age.empty(), "--age"}, {!r.keep.empty(), "--keep"},
        {!r.max_age.empty(), "--max-age"}, {!r.max_total.empty(), "--max-total"}, {r.compress != "none", "--compress"},
        {r.method != "rename", "--method"}, {r.numbered, "--numbered"}, {r.timestamp != "none", "--timestamp"},
        {!r.signal.empty(), "--signal"}, {!o.pidfile.empty(), "--pidfile"}, {!o.reopen_cmd.empty(), "--reopen-cmd"},
    };
    for (auto [given, name] : per_log)
        if (given)
            return Problem{name, std::string("cannot be combined with ") + mode + ": the configuration says it per log"};
    if (o.mode == Mode::convert && r.logrotate_state)
        return Problem{"--logrotate-state", "is for --config; --convert only prints"};
    o.logrotate_state = r.logrotate_state.value_or(default_logrotate_state);
    if (o.mode == Mode::convert && (o.dry_run || o.force || r.wait || !r.state.empty()))
        return Problem{o.dry_run ? "--dry-run" : o.force ? "--force" : r.wait ? "--wait" : "--state",
                       "is for --config; --convert only prints"};
    if (auto p = wait_of(r.wait, o.wait))
        return p;
    o.state = r.state.empty() ? default_state : r.state;
    return std::nullopt;
}

} // namespace

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_option("FILE", o.path, "The log: written (pipe mode), watched (--watch) or checked (--once)")
        ->type_name("");
    // One line an option, in --help's order: a flag, an option with a value named VALUE, or
    // with a list of values ("a|b") shown as they are.
    using Into = std::variant<bool*, std::string*, std::optional<std::string>*, log::Format*>;
    const struct {
        const char* names;
        Into into;
        const char* value;
        const char* help;
    } options[] = {
        {"--watch", &r.watch, "", "Watch FILE, which another program appends to, and rotate it"},
        {"--once", &r.once, "", "Rotate FILE if a condition holds, then exit (0 rotated, 1 nothing to do)"},
        {"-s,--size", &r.size, "SIZE", "Rotate once the log would pass SIZE bytes (10M, 1G)"},
        {"-i,--interval", &r.interval, "DURATION", "Rotate every DURATION, aligned to the UTC clock (1h, 1d)"},
        {"--age", &r.age, "DURATION", "--once: rotate when the log was created at least DURATION ago"},
        {"--timestamp", &r.timestamp, "iso8601|tai64n|none", "Prefix each line: iso8601, tai64n or none (default)"},
        {"--numbered", &r.numbered, "", "Name rotated files NAME.1, NAME.2, ... (newest highest)"},
        {"-k,--keep", &r.keep, "N", "Keep the N newest rotated files, delete older ones"},
        {"--max-age", &r.max_age, "DURATION", "Delete rotated files last written more than DURATION ago"},
        {"--max-total", &r.max_total, "SIZE", "Delete the oldest rotated files past SIZE bytes in all"},
        {"-z,--compress", &r.compress, "gzip|zstd|none", "Compress rotated files: gzip, zstd or none (default)"},
        {"--method", &r.method, "rename|copytruncate", "--watch, --once: rename (default) or copytruncate"},
        {"--signal", &r.signal, "SIG", "After a rename, send SIG to the --pidfile's process (default HUP)"},
        {"--pidfile", &o.pidfile, "FILE", "The writer's pid file, for --signal"},
        {"--reopen-cmd", &o.reopen_cmd, "CMD", "After a rename, run CMD with /bin/sh -c to make the writer reopen"},
        {"--wait", &r.wait, "SECS", "--once: wait up to SECS for another logroll's lock (default: do not)"},
        {"-n,--dry-run", &o.dry_run, "", "--once: say what would be rotated and deleted, change nothing"},
        {"--log-format", &o.log_format, "", ""}, // cli::add_log_format's value list and help
        {"--config", &o.config, "PATH", "Rotate the logs a logrotate-style file or directory names (logroll(1))"},
        {"--convert", &o.convert, "FILE", "Print a logrotate file as logroll reads it, with what changes"},
        {"--state", &r.state, "FILE", "--config: the state file for time triggers (/var/lib/logroll/status)"},
        {"-f,--force", &o.force, "", "--config: rotate every log, due or not"},
        {"--logrotate-state", &r.logrotate_state, "FILE",
         "--config: logrotate's state file, imported while --state's is missing (/var/lib/logrotate/status)"},
    };
    for (const auto& d : options)
        std::visit(
            [&](auto* into) {
                using T = std::remove_pointer_t<decltype(into)>;
                if constexpr (std::is_same_v<T, bool>) {
                    app.add_flag(d.names, *into, d.help);
                } else if constexpr (std::is_same_v<T, log::Format>) {
                    cli::add_log_format(app, *into);
                } else {
                    auto* option = app.add_option(d.names, *into, d.help);
                    if (std::string_view(d.value).find('|') != std::string_view::npos)
                        option->option_text(d.value);
                    else
                        option->type_name(d.value);
                }
            },
            d.into);
}

int parse_signal(std::string_view name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos && name.size() <= 2) {
        int n = std::stoi(std::string(name));
        return n >= 1 && n < NSIG ? n : 0;
    }
    std::string n(name);
    if (n.size() > 3 && strncasecmp(n.c_str(), "SIG", 3) == 0)
        n.erase(0, 3);
    static const std::pair<const char*, int> known[] = {
        {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
        {"TERM", SIGTERM}, {"ALRM", SIGALRM}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    };
    for (auto& [k, v] : known)
        if (strcasecmp(n.c_str(), k) == 0)
            return v;
    return 0;
}

std::optional<cli::Problem> finish(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    if (!o.config.empty() || !o.convert.empty())
        return finish_config(o);
    if (o.force || !r.state.empty())
        return Problem{o.force ? "--force" : "--state", "is for --config"};
    if (r.logrotate_state)
        return Problem{"--logrotate-state", "is for --config"};
    if (r.watch && r.once)
        return Problem{"--watch", "cannot be combined with --once"};
    o.mode = r.watch ? Mode::watch : r.once ? Mode::once : Mode::pipe;
    auto size_of = [](const std::string& text, const char* opt, auto& into) -> std::optional<Problem> {
        if (text.empty())
            return std::nullopt;
        auto v = cli::parse_size(text);
        if (!v)
            return Problem{opt, cli::not_a_size(text)};
        if (*v == 0)
            return Problem{opt, "'" + text + "' is too small (at least 1 byte)"};
        into = *v;
        return std::nullopt;
    };
    auto duration_of = [](const std::string& text, const char* opt, auto& into) -> std::optional<Problem> {
        if (text.empty())
            return std::nullopt;
        auto v = cli::parse_duration(text);
        if (!v)
            return Problem{opt, cli::not_a_duration(text)};
        into = *v;
        return std::nullopt;
    };
    if (auto p = size_of(r.size, "--size", o.size))
        return p;
    if (auto p = size_of(r.max_total, "--max-total", o.rotate.retention.max_total))
        return p;
    if (auto p = duration_of(r.interval, "--interval", o.interval))
        return p;
    if (auto p = duration_of(r.age, "--age", o.age))
        return p;
    if (auto p = duration_of(r.max_age, "--max-age", o.rotate.retention.max_age))
        return p;
    if (auto p = wait_of(r.wait, o.wait))
        return p;
    if (!r.keep.empty()) {
        std::uint64_t n = 0;
        if (r.keep.size() > 9 || r.keep.find_first_not_of("0123456789") != std::string::npos ||
            (n = std::stoull(r.keep)) == 0)
            return Problem{"--keep", "'" + r.keep + "' is not a count (1 or more)"};
        o.rotate.retention.keep = n;
    }
    if (r.timestamp == "none")
        o.timestamp = Stamp::none;
    else if (r.timestamp == "iso8601")
        o.timestamp = Stamp::iso8601;
    else if (r.timestamp == "tai64n")
        o.timestamp = Stamp::tai64n;
    else
        return Problem{"--timestamp", "'" + r.timestamp + "' is not iso8601, tai64n or none"};
    if (r.compress == "none")
        o.rotate.compression = Compression::none;
    else if (r.compress == "gzip" || r.compress == "gz")
        o.rotate.compression = Compression::gzip;
    else if (r.compress == "zstd" || r.compress == "zst")
        o.rotate.compression = Compression::zstd;
    else
        return Problem{"--compress", "'" + r.compress + "' is not gzip, zstd or none"};
    if (r.method == "rename")
        o.method = Method::rename;
    else if (r.method == "copytruncate")
        o.method = Method::copytruncate;
    else
        return Problem{"--method", "'" + r.method + "' is not rename or copytruncate"};
    o.rotate.scheme = r.numbered ? Scheme::numbered : Scheme::timestamp;
    if (!r.signal.empty() && (o.signal = parse_signal(r.signal)) == 0)
        return Problem{"--signal", "'" + r.signal + "' is not a signal name or number"};
    if (!o.pidfile.empty() && o.signal == 0)
        o.signal = SIGHUP;
    if (!r.signal.empty() && o.pidfile.empty())
        return Problem{"--signal", "needs --pidfile, to know whom to signal"};

    // Checked here rather than by CLI11, which would report a missing FILE before an
    // unknown option.
    if (o.path.empty())
        return Problem{"FILE", "missing: the log to write, watch or rotate"};
    if (o.path.back() == '/')
        return Problem{o.path, "names a directory, not a log file"};
    const bool pipe = o.mode == Mode::pipe;
    if (pipe) {
        if (o.age)
            return Problem{"--age", "is for --once"};
        if (r.method != "rename" || !o.pidfile.empty() || !o.reopen_cmd.empty())
            return Problem{!o.pidfile.empty() ? "--pidfile" : !o.reopen_cmd.empty() ? "--reopen-cmd" : "--method",
                           "is for --watch and --once: in pipe mode logroll is the writer"};
    } else {
        if (o.timestamp != Stamp::none)
            return Problem{"--timestamp", "is for pipe mode: logroll does not write the lines of a watched log"};
        if (o.method == Method::copytruncate && (!o.pidfile.empty() || !o.reopen_cmd.empty()))
            return Problem{"--method", "copytruncate keeps the writer's file: it needs no --pidfile or --reopen-cmd"};
        if (!o.pidfile.empty() && !o.reopen_cmd.empty())
            return Problem{"--reopen-cmd", "cannot be combined with --pidfile"};
    }
    if (o.mode == Mode::watch && !o.size && !o.interval)
        return Problem{"--watch", "needs --size or --interval"};
    if (o.mode == Mode::once && o.interval)
        return Problem{"--interval", "is for pipe and watch modes; --once takes --size and --age"};
    if (o.mode != Mode::once && (o.dry_run || o.wait > 0))
        return Problem{o.dry_run ? "--dry-run" : "--wait", "is for --once"};
    return std::nullopt;
}

void set_up_log(log::Logger& log, const Options& o) {
    log.set_color(o.color);
    if (o.quiet)
        log.set_min_level(log::Level::warn);
}

} // namespace syskit::logroll

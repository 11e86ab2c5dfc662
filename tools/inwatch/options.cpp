#include "options.hpp"

#include "cli/duration.hpp"
#include "notify/inotify.hpp"

#include <CLI/CLI.hpp>

namespace syskit::inwatch {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_option("PATH", o.paths, "What to watch; @PATH leaves PATH out")->type_name("");
    app.add_option("--fromfile", r.fromfile, "Read PATHs from FILE, one a line (- for stdin)")
        ->type_name("FILE");
    app.add_flag("-r,--recursive", o.recursive, "Watch every directory below, new ones included");
    app.add_option("-e,--event", r.events,
                   "Events to report (EVENT[,EVENT...]): create, modify, delete, move, moved_from, moved_to, "
                   "attrib, close_write, close_nowrite, close, open, access, delete_self, move_self, "
                   "unmount, all")
        ->type_name("EVENT")
        ->allow_extra_args(false);
    app.add_flag("-m,--monitor", o.monitor, "Report events until stopped, instead of exiting after the first");
    app.add_option("-t,--timeout", r.timeout, "Exit 1 if nothing happens for SECS")->type_name("SECS");
    app.add_option("--exclude", o.exclude, "Ignore paths matching GLOB")->type_name("GLOB")->allow_extra_args(false);
    app.add_option("--include", r.include, "Report only paths matching REGEX (POSIX ERE)")
        ->type_name("REGEX");
    app.add_option("--includei", r.includei, "As --include, ignoring case")->type_name("REGEX");
    app.add_option("--format", r.format, "text, json, or a format with %w %f %e %T as inotifywait reads them")
        ->type_name("FMT");
    app.add_option("--timefmt", o.report.timefmt, "strftime(3) format of %T and of JSON's time")->type_name("FMT");
    app.add_flag("-0,--null", r.null, "Print paths only, each followed by a NUL byte");
    app.add_flag("-c,--csv", r.csv, "Print events as CSV, as inotifywait --csv");
    app.add_option("-o,--outfile", o.outfile, "Append events to FILE, not standard output")->type_name("FILE");
    app.add_flag("-d,--daemon", o.daemon, "Run in the background, as -m (needs -o)");
    app.add_flag("--compat-exit", o.compat_exit, "inotifywait's exit statuses (2: the timeout)");
    app.add_flag("--shell", r.shell, "Run the --exec command with /bin/sh -c");
    app.add_option("--debounce", r.debounce, "Run the command once events stop for MS milliseconds (default 100)")
        ->type_name("MS");
    app.add_flag("--restart", o.restart, "Stop a command still running (its whole process group) and start it again");
    app.add_option("--grace", r.grace, "Seconds between SIGTERM and SIGKILL when stopping the command (default 2)")
        ->type_name("SECS");
    app.footer("--exec CMD [ARGS...], last: run CMD after each burst of events (implies --monitor).\n"
               "See inwatch(1).");
}

std::optional<cli::Problem> shell_problem(const Options& o) {
    if (o.raw.shell && o.command.empty())
        return cli::Problem{"--shell", "needs --exec"};
    return std::nullopt;
}

namespace {

/// A glob that matches path and nothing else: its special characters escaped, trailing
/// slashes dropped (the walk spells a directory without one).
std::string exact_glob(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    std::string glob;
    for (char c : path) {
        if (c == '*' || c == '?' || c == '[' || c == '\\')
            glob += '\\';
        glob += c;
    }
    return glob;
}

} // namespace

std::vector<std::string> path_list(std::string_view text) {
    std::vector<std::string> paths;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty())
            paths.emplace_back(line);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    return paths;
}

bool compat_exit_asked(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--" || a == "--exec")
            return false;
        if (a == "--compat-exit")
            return true;
    }
    return false;
}

int exit_status(int status, bool compat) {
    if (!compat)
        return status;
    switch (status) {
    case cli::exit_found: return 2;   // inotifywait: the timeout passed
    case cli::exit_trouble: return 1; // inotifywait: an error
    default: return status;
    }
}

std::optional<cli::Problem> finish(Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    if (r.timeout) {
        auto v = cli::parse_seconds(*r.timeout);
        if (!v || *v == 0)
            return Problem{"--timeout", "'" + *r.timeout + "' is not a number of seconds above 0"};
        o.timeout = *v;
    }
    if (r.grace) {
        auto v = cli::parse_seconds(*r.grace);
        if (!v)
            return Problem{"--grace", "'" + *r.grace + "' is not a number of seconds (0 or more)"};
        o.grace = *v;
    }
    if (r.debounce) {
        // Whole milliseconds up to a day: longer, and a burst's command would never run.
        const std::string& t = *r.debounce;
        bool digits = !t.empty() && t.size() <= 8 && t.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoul(t) > 86'400'000)
            return Problem{"--debounce", "'" + t + "' is not a number of milliseconds (0 to 86400000)"};
        o.debounce_ms = static_cast<unsigned>(std::stoul(t));
    }
    if (auto p = shell_problem(o))
        return p;
    std::vector<std::string> watched;
    for (auto& p : o.paths) {
        if (p.size() > 1 && p[0] == '@')
            o.exclude.push_back(exact_glob(p.substr(1)));
        else
            watched.push_back(std::move(p));
    }
    o.paths = std::move(watched);
    if (o.paths.empty())
        return Problem{"PATH", r.fromfile ? "no file or directory to watch in --fromfile" : "no file or directory to watch"};
    if (r.include && r.includei)
        return Problem{"--include", "cannot be combined with --includei"};
    if (r.include || r.includei) {
        std::string error;
        const std::string& pattern = r.include ? *r.include : *r.includei;
        o.include = PathRegex::compile(pattern, r.includei.has_value(), error);
        if (!o.include)
            return Problem{r.include ? "--include" : "--includei", "'" + pattern + "' is not a regular expression: " + error};
    }
    if (r.csv && (r.null || r.format != "text"))
        return Problem{"--csv", r.null ? "cannot be combined with --null" : "cannot be combined with --format"};
    if (o.daemon && o.outfile.empty())
        return Problem{"--daemon", "needs --outfile FILE (a daemon has no standard output)"};
    if (!o.outfile.empty() && !o.command.empty())
        return Problem{"--outfile", "cannot be combined with --exec (no events are printed)"};
    if (o.daemon)
        o.monitor = true;
    if (r.shell) {
        std::string joined;
        for (const auto& w : o.command)
            joined += (joined.empty() ? "" : " ") + w;
        o.command = {"/bin/sh", "-c", joined};
    }
    o.mask = IN_ALL_EVENTS & ~(IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE);
    if (!r.events.empty()) {
        o.mask = 0;
        for (const auto& list : r.events) {
            std::string bad;
            std::uint32_t m = notify::parse_events(list, bad);
            if (m == 0)
                return Problem{"--event", "unknown event '" + bad + "'"};
            o.mask |= m;
        }
    }
    auto& ro = o.report;
    ro.style = r.null                ? Style::null
               : r.csv              ? Style::csv
               : r.format == "json" ? Style::json
               : r.format == "text" ? Style::text
                                    : Style::custom;
    ro.format = r.format;
    if (!o.command.empty())
        o.monitor = true;
    return std::nullopt;
}

} // namespace syskit::inwatch

#include "options.hpp"

#include "cli/duration.hpp"
#include "notify/inotify.hpp"

#include <CLI/CLI.hpp>

namespace syskit::inwatch {

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_option("PATH", o.paths, "Files and directories to watch")->type_name("")->required();
    app.add_flag("-r,--recursive", o.recursive, "Watch every directory below, new ones included");
    app.add_option("-e,--event", r.events,
                   "Events to report (EVENT[,EVENT...]): create, modify, delete, move, moved_from, moved_to, "
                   "attrib, close_write, close_nowrite, close, open, access, delete_self, move_self, all")
        ->type_name("EVENT")
        ->allow_extra_args(false);
    app.add_flag("-m,--monitor", o.monitor, "Report events until stopped, instead of exiting after the first");
    app.add_option("-t,--timeout", r.timeout, "Exit 1 if nothing happens for SECS")->type_name("SECS");
    app.add_option("--exclude", o.exclude, "Ignore paths matching GLOB")->type_name("GLOB")->allow_extra_args(false);
    app.add_option("--format", r.format, "text, json, or a format with %w %f %e %T as inotifywait reads them")
        ->type_name("FMT");
    app.add_option("--timefmt", o.report.timefmt, "strftime(3) format of %T and of JSON's time")->type_name("FMT");
    app.add_flag("-0,--null", r.null, "Print paths only, each followed by a NUL byte");
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
               : r.format == "json" ? Style::json
               : r.format == "text" ? Style::text
                                    : Style::custom;
    ro.format = r.format;
    if (!o.command.empty())
        o.monitor = true;
    return std::nullopt;
}

} // namespace syskit::inwatch

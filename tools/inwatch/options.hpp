// options: inwatch's command line, parsed into one struct and checked as a whole.
#pragma once

#include "include.hpp"
#include "report.hpp"

#include "cli/diag.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::inwatch {

struct Options {
    /// PATH... and the lines of --fromfile; finish() moves each @PATH to exclude.
    std::vector<std::string> paths, exclude;
    std::uint32_t mask = 0;          ///< the IN_* events to report
    bool recursive = false, monitor = false, restart = false;
    std::shared_ptr<const PathRegex> include; ///< --include/--includei; nullptr: every path
    std::string outfile;             ///< -o: events appended to this file; empty: stdout
    bool daemon = false;             ///< -d: in the background once watching (with -o)
    bool compat_exit = false;        ///< --compat-exit: inotifywait's exit statuses
    double timeout = 0;              ///< -t: seconds without an event before exit 1; 0: none
    double grace = 2;                ///< seconds between SIGTERM and SIGKILL for the command
    unsigned debounce_ms = 100;      ///< quiet time after the last event before the command runs
    std::vector<std::string> command; ///< --exec's command (with --shell, /bin/sh -c and it); empty: none
    ReportOptions report;            ///< all but escape, which depends on where stdout goes

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::vector<std::string> events;
        std::optional<std::string> timeout, grace, debounce; ///< unset when not given: "" is refused
        std::string format = "text";
        bool shell = false, null = false, csv = false;
        std::optional<std::string> include, includei;
        std::optional<std::string> fromfile; ///< read by main(), before finish()
    } raw;
};

/// The lines of a --fromfile list, each a PATH (or an @PATH to leave out), empty ones
/// skipped; a line is taken as it is, spaces included, as inotifywait takes it.
std::vector<std::string> path_list(std::string_view text);

/// Whether --compat-exit is among argv's options (before --exec or --), so that even a
/// command line CLI11 cannot parse exits with inotifywait's status.
bool compat_exit_asked(int argc, char** argv);

/// status as inwatch's exit statuses give it (0 ok, 1 timeout, 2 trouble), or with compat
/// as inotifywait's (0 ok, 1 trouble, 2 timeout).
int exit_status(int status, bool compat);

/// Declares every option of inwatch on app, storing into o.raw and o.  --exec is not one:
/// everything after it is the command (cli::command_after), which goes to o.command.
void add_options(CLI::App& app, Options& o);

/// --shell without --exec.  Checked apart from finish() because inwatch reports it, as it
/// does --exec without a command, on its own line without the --help hint (the e2e tests
/// pin both lines).
std::optional<cli::Problem> shell_problem(const Options& o);

/// Turns o.raw into o's typed fields and checks them: what is wrong with the command line,
/// or nullopt.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::inwatch

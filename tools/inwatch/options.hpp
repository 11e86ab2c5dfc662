// options: inwatch's command line, parsed into one struct and checked as a whole.
#pragma once

#include "report.hpp"

#include "cli/diag.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::inwatch {

struct Options {
    std::vector<std::string> paths, exclude;
    std::uint32_t mask = 0;          ///< the IN_* events to report
    bool recursive = false, monitor = false, restart = false;
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
        bool shell = false, null = false;
    } raw;
};

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

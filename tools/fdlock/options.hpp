// options: fdlock's command line, parsed into one struct and checked as a whole.
#pragma once

#include "acquire.hpp"

#include "cli/diag.hpp"
#include "lock/lock.hpp"

#include <optional>
#include <string>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::fdlock {

/// What fdlock was asked to do.
enum class Action {
    run,        ///< FILE COMMAND: lock FILE while the command runs
    descriptor, ///< FD: lock (or -u, unlock) a descriptor of the shell
    holder,     ///< --holder FILE: print who holds locks on it
    list,       ///< --list: print every lock on the system
};

struct Options {
    Action action = Action::run;
    std::string operand;               ///< FILE or FD, as given
    int fd = -1;                       ///< Action::descriptor: the descriptor's number
    std::vector<std::string> command;  ///< the command after FILE; empty with --command
    std::string shell_command;         ///< -c/--command: a command string for $SHELL -c
    AcquireOptions acquire;            ///< the lock, -n and -w, --verbose, the subject
    std::optional<lock::Range> range;  ///< --range, also the filter of --holder
    bool unlock = false, close = false, keep_fd = false, no_fork = false, no_create = false, verbose = false;
    std::optional<double> deadline, grace;
    int conflict_exit = cli::exit_found;
    cli::Format format = cli::Format::text;

    /// What the options parsed by finish() were given as, and which were given at all.
    struct Raw {
        bool shared = false, nonblock = false, posix = false, holder = false, list = false;
        bool exclusive = false, format = false;
        bool operand_given = false; ///< FILE (or FD) was given, even as "".
        std::string timeout, deadline, grace, range;
        std::optional<std::string> conflict_exit; ///< -E's value, unset when not given
    } raw;
};

/// Declares every option of fdlock on app, storing into o.raw and o, with the --help layout
/// of flock(1) (see flock_cli.hpp).
void add_options(CLI::App& app, Options& o);

/// Turns o.raw and the arguments after FILE (o.command, as given) into o's typed fields and
/// checks how they combine: what is wrong with the command line, or nullopt.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::fdlock

// options: logroll's command line, parsed into one struct and checked as a whole.
#pragma once

#include "lines.hpp"
#include "rotate.hpp"

#include "cli/diag.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::logroll {

enum class Mode { pipe, watch, once, config, convert };
enum class Method { rename, copytruncate };

struct Options {
    Mode mode = Mode::pipe;
    std::string path;
    std::optional<std::uint64_t> size;
    std::optional<std::int64_t> interval, age;
    Stamp timestamp = Stamp::none;
    RotateOptions rotate;
    Method method = Method::rename;
    int signal = 0; ///< sent to the --pidfile's process after a rename; 0: none
    std::string pidfile, reopen_cmd;
    double wait = 0; ///< --once: seconds to wait for another logroll's lock
    bool dry_run = false;
    log::Format log_format = log::Format::logfmt;
    std::string config, convert; ///< --config PATH, --convert FILE
    std::string state;           ///< --config: the state file, set by finish()
    std::string logrotate_state; ///< --config: logrotate's state file, read while state is missing
    bool force = false;          ///< --config: rotate every log, due or not
    /// -q: log warnings and errors only, not what was done (rotated, deleted, a script's
    /// output); never with --dry-run, whose lines are its result.  Set by main().
    bool quiet = false;
    bool color = false; ///< --color: the levels of logfmt lines coloured.  Set by main().

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::string size, interval, age, timestamp = "none", keep, max_age, max_total, compress = "none",
                                                      method = "rename", signal;
        std::optional<std::string> wait; ///< unset when not given: "" is refused
        std::string state;               ///< --state, "" when not given
        std::optional<std::string> logrotate_state; ///< --logrotate-state, unset when not given
        bool watch = false, once = false, numbered = false;
    } raw;
};

/// Declares every option of logroll on app, storing into o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into o's typed fields and checks how the options combine: what is wrong with
/// the command line, or nullopt.
std::optional<cli::Problem> finish(Options& o);

/// Applies -q and --color (o.quiet, o.color) to log.
void set_up_log(log::Logger& log, const Options& o);

/// A signal's number from "HUP", "SIGHUP", "hup" or "1"; 0 when unknown.
int parse_signal(std::string_view name);

} // namespace syskit::logroll

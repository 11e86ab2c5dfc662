// options: usbtidy's command line (organize, undo, list, watch), parsed into one struct and
// checked as a whole.
#pragma once

#include "cli/diag.hpp"
#include "log/log.hpp"

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace syskit::usbtidy {

enum class Command { none, organize, undo, list, watch };

struct Options {
    Command command = Command::none;
    std::string dir;        ///< organize, undo
    bool dry_run = false;   ///< organize
    std::string rules;      ///< organize, watch: --rules FILE ("" for the book's rule)
    cli::Format format = cli::Format::text;
    bool quiet = false;     ///< -q: organize, undo: no lines for the moves made (--dry-run's still)
    bool color = false;     ///< --color: moves' destinations, mounted drives' mount points in green
    // watch
    std::string label, uuid; ///< --label, --uuid ("" when not given)
    bool any = false, mount = false, notify = false;
    std::string exec;        ///< --exec CMD, run by /bin/sh -c after each organize
    double timeout = 30;     ///< seconds to wait for the mount
    log::Format log_format = log::Format::logfmt;

    struct Raw {
        std::string format = "text", timeout;
        bool organize = false, undo = false, list = false, watch = false;
    } raw;
};

/// Declares usbtidy's subcommands and their options on app, storing into o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into o's typed fields and checks how the options combine: what is wrong with
/// the command line, or nullopt.  No output, no system calls.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::usbtidy

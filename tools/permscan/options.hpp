// options: permscan's command line, parsed into one struct and checked as a whole.
#pragma once

#include "checks.hpp"

#include "cli/diag.hpp"
#include "cli/walk.hpp"
#include "fs/walk.hpp"

#include <optional>
#include <string>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::permscan {

/// What permscan prints: the findings, their counts per check, or the chmods that mend them.
enum class Output { findings, summary, fix };

struct Options {
    cli::WalkArgs walk_args;
    ScanOptions scan;      ///< the checks to run, the set-id files allowed, the roots
    fs::WalkOptions walk;  ///< from walk_args, every entry statx'ed
    Output output = Output::findings;
    bool apply = false;     ///< --fix --apply: make the changes
    bool fix_setid = false; ///< --fix: set-id bits too

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::vector<std::string> checks, skip, allow;
        std::string min_severity = "low";
        bool all = false, summary = false, fix = false;
    } raw;
};

/// Declares every option of permscan on app, storing into o.raw and o.  Call it after
/// cli::Tool::add_null(): -0 cannot be combined with --fix or --summary.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw and o.walk_args into o's typed fields: the checks enabled, the roots made
/// absolute, the walk's options.  Returns what is wrong with them, if anything.
std::optional<cli::Problem> finish(Options& o);

/// The check ids, as "--help" and the errors list them: "world-writable-file, ...".
std::string check_list();

} // namespace syskit::permscan

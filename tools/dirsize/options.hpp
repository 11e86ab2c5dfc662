// options: dirsize's command line, parsed into one struct and checked as a whole.
#pragma once

#include "tally.hpp"

#include "cli/diag.hpp"
#include "cli/walk.hpp"
#include "fs/walk.hpp"

#include <cstddef>
#include <optional>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::dirsize {

struct Options {
    cli::WalkArgs walk_args;
    fs::WalkOptions walk; ///< from walk_args; Tally::walk sets the root
    TallyOptions tally;   ///< what to add up and keep, from the options below
    bool human = false;       ///< -h: 1.5K, 23M (powers of 1024)
    bool si = false;          ///< --si: 1.6k, 24M (powers of 1000)
    bool grand_total = false; ///< -c
    int depth = -1;           ///< --depth N; -1: each root's total alone
    std::size_t top = 0;      ///< --top N; 0: none

    /// The options finish() turns into tally.
    struct Raw {
        bool apparent = false, files = false;
    } raw;
};

/// Declares every option of dirsize on app, storing into o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw and o.walk_args into o.tally and o.walk and checks how the options combine.
/// Returns what is wrong with them, if anything.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::dirsize

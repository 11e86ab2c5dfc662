// options: dirsize's command line, parsed into one struct and checked as a whole.
#pragma once

#include "report.hpp"
#include "tally.hpp"

#include "cli/diag.hpp"
#include "cli/walk.hpp"
#include "fs/walk.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::dirsize {

/// Parses -B's value as du(1) reads it: an optional number, then an optional unit K, M, G,
/// T, P or E (k, m, g and t too) for powers of 1024, followed by "iB" (the same) or "B"
/// (powers of 1000): "1", "512", "1K", "2M", "KB", "MiB".  A unit without a number is
/// printed after each size ("M" prints 3M, "KB" prints 3015kB, "MiB" prints 3MiB).
/// nullopt for anything else, 0, or more than 2^64 - 1.
std::optional<BlockSize> parse_block_size(std::string_view text);

struct Options {
    cli::WalkArgs walk_args;
    fs::WalkOptions walk; ///< from walk_args; Tally::walk sets the root
    TallyOptions tally;   ///< what to add up and keep, from the options below
    bool human = false;       ///< -h: 1.5K, 23M (powers of 1024)
    bool si = false;          ///< --si: 1.6k, 24M (powers of 1000)
    bool grand_total = false; ///< -c
    int depth = -1;           ///< --depth N; -1: each root's total alone (with -a: every entry)
    std::size_t top = 0;      ///< --top N; 0: none
    /// The unit of text sizes: -B, else bytes with -b, else du's 1024-byte blocks.
    BlockSize block;

    /// The options finish() turns into tally and block.
    struct Raw {
        bool apparent = false, files = false, summarize = false, all = false;
        std::optional<std::string> block_size;
    } raw;
};

/// Declares every option of dirsize on app, storing into o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw and o.walk_args into o.tally and o.walk and checks how the options combine.
/// Returns what is wrong with them, if anything.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::dirsize

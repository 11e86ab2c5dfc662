// options: dupfind's command line, parsed into one struct and checked as a whole.
#pragma once

#include "act.hpp"
#include "finder.hpp"
#include "keep.hpp"

#include "cli/diag.hpp"
#include "cli/walk.hpp"

#include <optional>
#include <string>
#include <vector>

// Declared, not included: the modules that take an Options never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::dupfind {

struct Options {
    cli::WalkArgs walk_args;
    FindOptions find; ///< the walk, the files considered, the hash
    ActionKind action = ActionKind::none;
    Keep keep;
    bool apply = false;     ///< carry out the action, not just print it
    bool summary = false;   ///< counts instead of groups
    bool hardlinks = false; ///< every name of a file with several
    bool cache = false;       ///< --cache: read and write the hash cache (cache.hpp); --no-cache undoes it
    bool cache_clear = false; ///< --cache-clear: remove the cache first; alone, all that is done

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::string hash = "xxh3-128", keep = "first", min_size, max_size;
        std::vector<std::string> include;
        bool empty = false, remove = false, hardlink = false, symlink = false, reflink = false;
        bool recursive = false; ///< -r, accepted as jdupes and fdupes users type it: dupfind always recurses
        /// -0, which cli::Tool declares and parses: main copies tool.null() here before finish().
        bool null = false;
    } raw;
};

/// Declares every option of dupfind on app, storing into o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw and o.walk_args into o's typed fields and checks how the options combine.
/// Returns what is wrong with them, if anything.
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::dupfind

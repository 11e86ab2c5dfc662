// walk: the options of the tools that walk trees (PATH..., --exclude, -x, --max-depth,
// -j/--jobs, -L), declared once and turned into the fs::WalkOptions the walker takes.
#pragma once

#include "fs/walk.hpp"

#include <string>
#include <string_view>
#include <vector>

// Declared, not included: the engines that take a WalkArgs never parse a command line, and
// CLI11 costs more to compile than they do.
namespace CLI {
class App;
}

namespace syskit::cli {

/// Which walk options a tool takes, and the words of its --help where the tools differ.
struct WalkSpec {
    std::string paths_help = "Trees to scan (default: .)";
    /// PATH must be given; otherwise the default is ".".
    bool paths_required = false;
    std::string one_file_system_help = "Stay on the file system of each PATH";
    bool max_depth = true; ///< --max-depth N
    bool follow = false;   ///< -L/--follow
};

/// The walk options as the command line gave them.
struct WalkArgs {
    std::vector<std::string> roots; ///< PATH..., as given
    std::vector<std::string> exclude;
    bool one_file_system = false;
    bool follow = false;
    int max_depth = -1;   ///< -1: no limit
    unsigned threads = 0; ///< 0: one per CPU

    /// The options the walker takes: these roots, exclusions and limits, with -x and -L as
    /// flags besides the extra_flags (fs::WalkFlags) the tool needs.
    fs::WalkOptions walk_options(unsigned extra_flags = 0) const;
};

/// Declares the walk options spec names on app, storing into args.  Without
/// spec.paths_required, args.roots starts as {"."}, which PATH operands replace.
void add_walk_options(CLI::App& app, WalkArgs& args, const WalkSpec& spec = {});

/// path made absolute, the one way the walking tools resolve their roots: realpath(3), so
/// symbolic links and ".." are resolved; when that fails (a root that is missing, or that
/// vanished or closed after the walk), the path as written, joined to the working directory
/// when it is relative and the working directory is known.
std::string absolute_path(std::string_view path);

/// absolute_path of each root, in order.
std::vector<std::string> absolute_roots(const std::vector<std::string>& roots);

} // namespace syskit::cli

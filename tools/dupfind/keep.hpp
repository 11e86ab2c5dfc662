// keep: which file of a group stays, and so comes first.
#pragma once

#include "finder.hpp"
#include "fs/glob.hpp"

#include <string_view>

namespace syskit::dupfind {

enum class KeepRule { first, oldest, newest, shortest_path, glob };

struct Keep {
    KeepRule rule = KeepRule::first;
    fs::GlobSet glob; ///< for KeepRule::glob
};

/// "first", "oldest", "newest", "shortest-path", or else a GLOB: a file with a name that
/// matches it is kept before one without.
Keep parse_keep(std::string_view text);

/// Orders a group's files so that the one to keep comes first; ties, and the rest, in the
/// order of the roots given, then by path.  Each file's names keep their order.
void order_group(Group& group, const Keep& keep);

} // namespace syskit::dupfind

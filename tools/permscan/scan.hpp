// scan: the walk that inspects every entry of the trees and gathers the findings.
#pragma once

#include "checks.hpp"

#include "fs/walk.hpp"

#include <vector>

namespace syskit::permscan {

struct ScanResult {
    std::vector<Finding> findings; ///< sorted by path, then check
    bool trouble = false;          ///< an entry could not be read (each is reported on stderr)
};

/// Walks with walk (every entry statx'ed: fs::walk_stat) and inspects each entry with
/// options, reporting entries that cannot be read on stderr.  progress: show a progress
/// line on stderr while it runs (when stderr is a terminal).  owners: the names looked up,
/// which the report uses again.
ScanResult scan(const ScanOptions& options, const fs::WalkOptions& walk, Owners& owners, bool progress);

} // namespace syskit::permscan

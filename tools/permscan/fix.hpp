// fix: the chmod that mends a finding, shown or made without following a swapped-in symlink.
#pragma once

#include "checks.hpp"

#include <optional>
#include <string>
#include <vector>

namespace syskit::permscan {

/// The change that mends a finding.
struct Change {
    std::string chmod_arg; ///< as chmod(1) takes it: "o-w", "600", "u-s"
    mode_t clear = 0;      ///< permission bits to clear ...
    mode_t set = 0;        ///< ... and to set; an exact mode when exact is true
    bool exact = false;
};

/// The change that mends f, or nullopt when permscan does not change that kind of finding
/// (a dangling symlink, an unknown owner, a device, capabilities, and set-id bits unless
/// fix_setid).
std::optional<Change> change_for(const Finding& f, bool fix_setid);

/// chmod(1)'s command line for the change, the path quoted for a shell.
std::string change_command(const Change& c, const std::string& path);

enum class ApplyResult { changed, unchanged, failed };

/// Makes the change, race-safely: opens f.rel beneath root_fd with O_PATH and no symlink
/// followed (fs::open_beneath), checks it is still the inode scanned and not a symlink,
/// computes the new mode from its mode now, and changes it through that descriptor.
/// unchanged: the mode already had no problem.  failed: errno-style message in error.
ApplyResult apply_change(int root_fd, const Finding& f, const Change& c, std::string& error);

} // namespace syskit::permscan

// fix: the chmod that mends a path's findings, shown or made without following a swapped-in symlink.
#pragma once

#include "checks.hpp"
#include "report.hpp"

#include <optional>
#include <string>
#include <vector>

namespace syskit::permscan {

/// A change of mode: permission bits to clear, or an exact mode to set.
struct Change {
    mode_t clear = 0;
    mode_t exact = 0; ///< 0600 or 0700 when set; 0 for none
};

/// The change that mends f, or nullopt when permscan does not change that kind of finding
/// (a dangling symlink, an unknown owner, a device, capabilities, and set-id bits unless
/// fix_setid).
std::optional<Change> change_for(const Finding& f, bool fix_setid);

/// One change doing both: several findings on one path give one chmod.
Change merge(const Change& a, const Change& b);

/// The mode a file of mode now gets.  An exact mode keeps a directory's set-id bits, as
/// chmod(1) does.
mode_t changed_mode(const Change& c, mode_t now);

/// chmod(1)'s command line for the change ("chmod go-w PATH", "chmod 600 PATH"), the path
/// quoted for a shell.
std::string change_command(const Change& c, const std::string& path);

enum class ApplyResult { changed, unchanged, failed };

/// Makes the change, race-safely: opens f.rel beneath root_fd with O_PATH and no symlink
/// followed (fs::open_beneath), checks it is still the inode scanned and not a symlink,
/// computes the new mode from its mode now, and changes it through that descriptor.
/// from/to: the modes before and after.  unchanged: nothing was left to change.
/// failed: why, in error.
ApplyResult apply_change(int root_fd, const Finding& f, const Change& c, mode_t& from, mode_t& to,
                         std::string& error);

/// --fix: prints, and with apply makes, one chmod per path that has findings to mend (set-id
/// bits too with fix_setid), as text or JSON lines after report.  findings: sorted by path;
/// roots: as the scan was given them, each opened once to reach what lies below it.
/// Returns false when a change could not be made (each is reported on stderr).
bool fix_findings(const std::vector<Finding>& findings, const std::vector<std::string>& roots, bool fix_setid,
                  bool apply, const ReportOptions& report, out::Sink& sink);

} // namespace syskit::permscan

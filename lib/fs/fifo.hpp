// fifo: named pipes created and opened safely: unpredictable names, owner-only modes, and
// opens that refuse a symlink, a file that is not a FIFO, or a FIFO planted by another user
// (the name-squatting attack of book chapter 6).
#pragma once

#include "fs/fd.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace syskit::fs {

/// What is wrong with the file st describes as a FIFO that owner should use: "is not a
/// FIFO (a regular file)", "is owned by uid 1000, not 0", "can be written by other users
/// (mode 0622)"; empty when nothing is.  A FIFO that group or others can write is refused
/// too: anyone could then inject records into it.
std::string fifo_problem(const struct stat& st, uid_t owner);

/// Creates a FIFO named dir/PREFIX.XXXXXXXXXXXXXXXX (16 hex digits from getrandom(2)) with
/// exactly mode (umask does not apply: it is set again with fchmodat), trying new names while
/// one exists, so an existing path, planted or not, is never reused.  path: the new FIFO's
/// path.  False with error naming the call and the path when it fails.
bool make_fifo(const std::string& dir, const std::string& prefix, mode_t mode, std::string& path,
               std::string& error);

/// How open_fifo waits for the other side.
struct FifoOpen {
    bool write = false; ///< open for writing (else reading)
    /// Writing: how long to wait for a reader, in seconds; < 0 waits for ever.  A FIFO with
    /// no reader refuses a non-blocking writer (ENXIO), so the open is retried until then.
    double timeout = -1;
    uid_t owner = 0; ///< the user the FIFO must belong to (usually geteuid())
};

/// Opens the FIFO path with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, so that neither a symlink nor a
/// FIFO without a peer can block it, then checks with fstat that it is a FIFO belonging to
/// how.owner (fifo_problem), and the same file an O_PATH look before the open found (a
/// device planted under the name is never opened).  The descriptor returned is still non-blocking.  Empty with
/// error naming the path and what failed (a timeout says "no reader after N s", with errno
/// ETIMEDOUT) otherwise.
UniqueFd open_fifo(const std::string& path, const FifoOpen& how, std::string& error);

} // namespace syskit::fs

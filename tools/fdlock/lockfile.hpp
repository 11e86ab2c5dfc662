// lockfile: opening the file to lock, created when missing, as the lock mode needs it open.
#pragma once

#include "fs/fd.hpp"
#include "lock/lock.hpp"

#include <string>

namespace syskit::fdlock {

struct Opened {
    fs::UniqueFd fd; ///< closed on failure
    /// On failure: what went wrong, for "fdlock: FILE: <why>".
    std::string why;
};

/// Opens path for a lock of mode: read-only for a shared lock, write-only for an exclusive
/// one (fcntl needs the file open for reading or writing to take a read or write lock), with
/// O_CLOEXEC, O_NOCTTY, and O_NONBLOCK so that a FIFO put where the lock file should be
/// cannot block fdlock.
///
/// A missing file is created with mode 0644 whatever the umask, unless create is false.  It
/// is created with O_EXCL, which never follows a symbolic link: a dangling symbolic link
/// is refused rather than its target created somewhere else.  A directory can only be
/// opened read-only, so an exclusive lock on one is refused with an explanation.  A FIFO
/// or a socket is refused by name: opened for writing they fail with ENXIO, which says
/// nothing, and a lock on a FIFO would guard nothing.
Opened open_lock_file(const std::string& path, lock::Mode mode, bool create);

/// Why fcntl refused a lock of mode on fd with EBADF, from the access mode fd was opened
/// with: "an exclusive lock needs the descriptor open for writing ...".
std::string bad_descriptor_reason(int fd, lock::Mode mode);

} // namespace syskit::fdlock

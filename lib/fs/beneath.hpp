// beneath: reach a file found by a walk again, safely, to act on it.
#pragma once

#include "fs/fd.hpp"

#include <sys/types.h>

#include <string_view>

namespace syskit::fs {

/// Opens rel, a relative path below the directory root_fd, with O_PATH, following no
/// symbolic link on the way or at the end and never leaving root_fd (no "..", no absolute
/// path): openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or, on kernels before 5.6,
/// one openat(O_NOFOLLOW) per component.  A symlink met on the way fails with ELOOP; one
/// at the end is opened itself (O_PATH | O_NOFOLLOW), so the caller sees S_IFLNK in fstat.
/// An empty rel gives a duplicate of root_fd.  On failure the result is empty and
/// errno tells why.
UniqueFd open_beneath(int root_fd, std::string_view rel);

/// chmod through an O_PATH descriptor.  fchmod(2) refuses O_PATH descriptors, so this goes
/// through the descriptor's /proc/self/fd link, which names the opened inode itself and not
/// a path that could be swapped.  Returns 0, or -1 with errno set.
int chmod_fd(int path_fd, mode_t mode);

} // namespace syskit::fs

// writers: whether a process still holds a file open for writing, seen in /proc, so that a
// rotated file a writer goes on appending to is neither compressed nor deleted.
#pragma once

#include <sys/types.h>

namespace syskit::logroll {

/// Whether some process (this one included) has a descriptor open for writing on the file
/// with device dev and inode ino: each /proc/PID/fd/N that leads to it, with a write access
/// mode in /proc/PID/fdinfo/N.  Only the processes whose /proc/PID/fd this one may read are
/// seen: every one as root, its own user's otherwise.
bool open_for_writing(dev_t dev, ino_t ino);

/// open_for_writing for name in the directory dirfd (not followed if a symbolic link); false
/// when name cannot be examined.
bool open_for_writing(int dirfd, const char* name);

} // namespace syskit::logroll

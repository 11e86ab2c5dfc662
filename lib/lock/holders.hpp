// holders: who holds the file locks of the system, from /proc/locks and /proc/PID/fdinfo.
//
// /proc/locks lists every lock, but names the owner only of POSIX locks: an OFD lock
// belongs to an open file description, which any number of processes may share, and shows
// pid -1 (so does F_OFD_GETLK).  Its holders are found as recent lslocks(8) finds them: the
// "lock:" lines of /proc/PID/fdinfo/FD list the locks held through that descriptor, so
// every process with a descriptor on the open file description holds the lock.  Reading
// another user's fdinfo needs privilege; such holders stay unknown.
#pragma once

#include "lock/proc_locks.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace syskit::lock {

/// A file as /proc/locks names it: the device of its file system and its inode number.
struct FileKey {
    unsigned dev_major = 0;
    unsigned dev_minor = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileKey&) const = default;
};

/// The key of the file fd is open on, or of the file at path (following symbolic links).
/// Returns 0 or errno.
int file_key(int fd, FileKey* key);
int file_key(const char* path, FileKey* key);

/// One lock, and one process holding it (or waiting for it, when lock.waiting).
struct Holding {
    LockLine lock;
    pid_t pid = -1;      ///< -1: the holder could not be found
    std::string command; ///< /proc/PID/comm; empty when unknown
    int fd = -1;         ///< a descriptor of pid through which it holds the lock; -1 when unknown
    /// Where that descriptor points (readlink of /proc/PID/fd/FD).  For a waiting request,
    /// which no descriptor holds: the file's path as a descriptor open on it names it (one
    /// holding a lock on it, the waiting process's own for a POSIX request, or any other),
    /// found by its device and inode.  Empty when unknown.
    std::string path;
};

/// Which locks list_holdings() reports.
struct HoldingQuery {
    std::optional<FileKey> file; ///< only the locks on this file
    bool waiting = false;        ///< also the requests waiting for a lock
};

/// The locks of /proc/locks that match the query, in its order, each with its holders:
/// one Holding per process holding it (sorted by pid), found through fdinfo; when none can
/// be found, one Holding with the pid /proc/locks gives (-1 for OFD locks).  A waiting
/// request is never in fdinfo: it gets the pid /proc/locks gives (the waiting process for a
/// POSIX request, -1 for an OFD one, which the kernel does not tie to a process) and the
/// path found from its inode.  A lock two
/// open files hold alike (two shared OFD locks on the same bytes) is reported once, with
/// the holders of both.  proc: the /proc to read, for tests.
/// Returns 0, or the errno of reading PROC/locks.
int list_holdings(const HoldingQuery& query, std::vector<Holding>* out, const std::string& proc = "/proc");

/// The command name of a process (/proc/PID/comm without its newline); empty when it is gone
/// or cannot be read.
std::string process_command(pid_t pid, const std::string& proc = "/proc");

} // namespace syskit::lock

// lock: fcntl(2) record locks on byte ranges of a file, taken, waited for and released.
//
// Two kinds of owner.  An open-file-description (OFD) lock (F_OFD_SETLK, Linux 3.15) belongs
// to the open file: every descriptor dup()ed or inherited from the one that took it shares
// it, and it goes away when the last of them is closed.  A POSIX record lock (F_SETLK)
// belongs to the process: it is not inherited by fork(), survives execve(), and is released
// when the process closes *any* descriptor of the file, even one opened elsewhere.  OFD and
// POSIX locks on the same file conflict with each other; neither sees flock(2) locks.
//
// Every function returns 0 or an errno value and leaves errno alone otherwise.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::lock {

/// Who owns a lock, and so when it goes away.
enum class Owner {
    ofd,   ///< the open file description (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK)
    posix, ///< the process (F_SETLK, F_SETLKW, F_GETLK)
};

enum class Mode {
    shared,    ///< F_RDLCK: any number of holders; needs the file open for reading
    exclusive, ///< F_WRLCK: one holder; needs the file open for writing
};

/// Bytes [start, start + length) of the file; length 0 reaches past the end of the file,
/// however far it grows (struct flock's l_len = 0).  The default is the whole file.
struct Range {
    std::int64_t start = 0;
    std::int64_t length = 0;
    bool operator==(const Range&) const = default;
};

/// Whether two ranges share at least one byte.
bool overlaps(const Range& a, const Range& b);

/// Parses "START:LEN", two byte counts in decimal, each with an optional binary suffix
/// (K, M, G, T, P or E, upper or lower case, optionally followed by "iB": 4K = 4KiB = 4096).
/// LEN 0 means to the end of the file.  Returns nullopt, and why in *error when error is
/// not null, when text is malformed or the range ends past the largest file offset.
std::optional<Range> parse_range(std::string_view text, std::string* error = nullptr);

/// What to lock, and how.
struct Request {
    Owner owner = Owner::ofd;
    Mode mode = Mode::exclusive;
    Range range;
};

/// Takes the lock on fd if nothing is in the way, without waiting.
/// Returns 0, EAGAIN when another owner holds a conflicting lock, EBADF when fd is not
/// open for reading (shared) or writing (exclusive), or another errno of fcntl(2).
int try_lock(int fd, const Request& r);

/// Takes the lock on fd, waiting as long as it takes (F_OFD_SETLKW, F_SETLKW).  Signals
/// that interrupt the wait are handled and the wait goes on.
/// Returns 0, EDEADLK when waiting would deadlock (POSIX locks only: the kernel does not
/// detect deadlocks between OFD locks), or another errno of fcntl(2).
int lock(int fd, const Request& r);

/// Takes the lock on fd, waiting at most seconds; seconds <= 0 is try_lock().  The wait is
/// the kernel's (F_OFD_SETLKW, F_SETLKW), so the lock is granted the moment it is free,
/// and a timer interrupts it: timer_create(2) sends SIGRTMAX to the calling thread, which
/// gets a handler and is unblocked for the duration of the call.  Do not use SIGRTMAX for
/// anything else in a program that waits with a timeout.
/// Returns 0, ETIMEDOUT when the time is up, or what lock() returns.
int lock_for(int fd, const Request& r, double seconds);

/// Releases the part of the lock on fd that range covers (F_UNLCK).  Releasing what is not
/// locked succeeds.  Returns 0 or an errno of fcntl(2).
int unlock(int fd, Owner owner, const Range& range);

/// A lock in the way of a request, as F_OFD_GETLK and F_GETLK describe it.
struct Conflict {
    Mode mode = Mode::exclusive;
    Range range;
    /// The holder's pid for a POSIX lock; -1 for an OFD lock, which belongs to no process.
    pid_t pid = -1;
};

/// Asks the kernel which lock, if any, would stop fd from taking r: sets *conflict, or
/// resets it when r would be granted now.  Only one conflicting lock is reported even when
/// there are several.  Returns 0 or an errno of fcntl(2).
int find_conflict(int fd, const Request& r, std::optional<Conflict>* conflict);

/// The fcntl(2) command a request uses, for messages: "F_OFD_SETLKW", "F_SETLK", ...
const char* command_name(Owner owner, bool wait);

} // namespace syskit::lock

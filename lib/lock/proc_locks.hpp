// proc_locks: parsing the kernel's descriptions of file locks, the lines of /proc/locks and
// the "lock:" lines of /proc/PID/fdinfo/FD (both printed by lock_get_status() in fs/locks.c).
//
//   1: POSIX  ADVISORY  WRITE 4113 fe:00:1835020 0 EOF
//   2: OFDLCK ADVISORY  READ  -1 fe:00:1835021 100 199
//   2: -> OFDLCK ADVISORY  WRITE -1 fe:00:1835021 0 EOF
//   3: FLOCK  ADVISORY  WRITE 977 00:1a:2301 0 EOF
//   lock:	1: OFDLCK ADVISORY  WRITE -1 fe:00:1835021 0 EOF
//
// The fields: an ordinal, "->" for a request waiting behind the lock above it, the class,
// ADVISORY (or MANDATORY before Linux 5.15, or a lease's state), READ or WRITE, the pid
// (-1 for OFD locks, which no process owns), the device's major and minor numbers in hex
// and the inode number, then the first and last byte, "EOF" meaning to the end of the file.
// These parsers take untrusted bytes: they never read past their input and reject a line
// that does not have this exact shape.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::lock {

/// One lock, or one waiting request, as the kernel prints it.
struct LockLine {
    std::int64_t ordinal = 0; ///< the number before the colon (unique per lock in /proc/locks)
    bool waiting = false;     ///< a request blocked behind another lock ("->")
    std::string type;         ///< POSIX, OFDLCK, FLOCK, ACCESS, LEASE, DELEG or UNKNOWN
    std::string state;        ///< ADVISORY, MANDATORY, *NOINODE*; for leases ACTIVE, BREAKING, BREAKER
    std::string mode;         ///< READ, WRITE or UNLCK
    pid_t pid = -1;           ///< the owner for POSIX locks; -1 for OFD locks
    bool has_inode = false;   ///< false for "<none>:0", a lock whose inode is gone
    unsigned dev_major = 0;
    unsigned dev_minor = 0;
    std::uint64_t inode = 0;
    std::int64_t start = 0;
    std::optional<std::int64_t> end; ///< the last byte, inclusive; nullopt: "EOF"

    /// Whether two lines describe the same lock: every field but the ordinal.
    bool same_lock(const LockLine& o) const;
};

/// Parses one line of /proc/locks, or what follows "lock:" in an fdinfo file.  Leading and
/// trailing white space, the newline included, is ignored.
std::optional<LockLine> parse_lock_line(std::string_view line);

/// The locks and waiting requests listed in the text of /proc/locks, one per line; a line
/// that does not parse is skipped.
std::vector<LockLine> parse_proc_locks(std::string_view text);

/// The locks listed in the text of a /proc/PID/fdinfo/FD file: its "lock:" lines.  Other
/// lines are skipped; a "lock:" line that does not parse is skipped too.
std::vector<LockLine> parse_fdinfo_locks(std::string_view text);

} // namespace syskit::lock

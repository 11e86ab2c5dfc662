// holdings: locks and their holders as fdlock prints them, for --holder, --list and --verbose.
#pragma once

#include "cli/diag.hpp"
#include "lock/holders.hpp"
#include "lock/lock.hpp"

#include <optional>
#include <string>
#include <vector>

namespace syskit::fdlock {

/// One text line (without its newline): PID COMMAND TYPE MODE START END PATH, as in
///   4113 backup OFDLCK WRITE 0 EOF /run/lock/backup
/// MODE ends in '*' for a waiting request, as in lslocks(8); END is the last byte, or EOF.
/// An unknown pid, command or path is "-".  Space, backslash and control bytes in COMMAND
/// are written as \xHH, so that it stays one field; PATH, last, is written as it is, or
/// escaped for the terminal when terminal is true.  color (--color): MODE painted by state,
/// a lock waited for yellow, a held WRITE lock red, a held READ lock green.
std::string text_line(const lock::Holding& h, bool terminal, bool color = false);

/// One JSON object (without its newline):
/// {"pid":4113,"command":"backup","type":"OFDLCK","mode":"WRITE","start":0,"end":null,
///  "waiting":false,"fd":3,"path":"/run/lock/backup","device":"fe:00","inode":1835021}
/// with null for what is unknown, and "end":null for EOF.
std::string json_line(const lock::Holding& h);

/// The range of a lock as /proc/locks gives it.
lock::Range range_of(const lock::LockLine& l);

/// Whether l is held (not waiting), is a record lock (POSIX or OFD: flock(2) locks and
/// leases do not stand in the way of fcntl locks), overlaps range and conflicts with mode.
bool blocks(const lock::LockLine& l, lock::Mode mode, const lock::Range& range);

/// "pid 4113 (backup), pid 4120 (sh)": the holders of the locks on file that stand in the
/// way of mode on range, as far as they can be found; conflict, what F_OFD_GETLK or F_GETLK
/// said, names a POSIX holder when /proc shows none.  Empty when nobody can be named.
std::string describe_holders(const lock::FileKey& file, lock::Mode mode, const lock::Range& range,
                             const std::optional<lock::Conflict>& conflict);

/// --holder and --list: prints on stdout, as text_line or json_line, the holdings query
/// finds, less fdlock's own and, with range, those outside it.  Returns exit_found when
/// is_holder and someone holds a lock, exit_ok, or exit_trouble with a message.  color: as
/// text_line's.
int print_holdings(const lock::HoldingQuery& query, const std::optional<lock::Range>& range, cli::Format format,
                   bool is_holder, bool color);

/// "an exclusive OFD lock on bytes 0-EOF", for --verbose.
std::string describe_request(const lock::Request& r);

} // namespace syskit::fdlock

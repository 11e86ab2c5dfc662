// lines: where a block of log data may be cut, and the --timestamp prefix of each line.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace syskit::logroll {

enum class Stamp { none, iso8601, tai64n };

/// How many bytes of data go into a file that holds used bytes already, under a limit of
/// limit bytes: all of data when it fits; otherwise up to the last newline that fits; 0
/// when not even the first line fits (rotate first); and, when the file is empty, the
/// whole first line even if longer than limit (a line is never split).  data holds whole
/// lines: it ends with a newline.
std::size_t fit(std::string_view data, std::uint64_t used, std::uint64_t limit);

/// The prefix written before each line read at now: "2024-01-31T23:59:59.123456Z " or
/// daemontools' "@4000000065bae2ff075bcd15 " (TAI64N label, then a space); "" for none.
std::string line_prefix(Stamp s, const timespec& now);

/// Appends data to out with prefix before each line that starts in it.  at_line_start
/// says whether the last byte appended before was a newline, and is updated.
void prefix_lines(std::string_view data, std::string_view prefix, bool& at_line_start, std::string& out);

} // namespace syskit::logroll

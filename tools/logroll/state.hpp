// state: when each log with a time trigger (daily, weekly, ...) was last rotated, one record
// per log in one file, which is replaced whole (temporary, fsync, rename) and never edited.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace syskit::logroll {

/// The last rotation of each log, seconds since the epoch, by the log's path.
using State = std::map<std::string, std::int64_t>;

/// The state file's text: a comment line, then "2026-12-01T14:05:06Z PATH" per log, the path
/// with a backslash, a newline and other control bytes escaped (\\, \n, \xHH).
std::string format_state(const State& state);

/// Reads format_state's text into state; a line it cannot read is skipped and counted in bad.
State parse_state(std::string_view text, unsigned& bad);

/// Reads logrotate's state file text into a State: after its header line ("logrotate state
/// -- version 2"), one log a line, "\"PATH\" 2026-12-1-17:0:0" in local time (\\, \" and \n
/// escaped in the path), or "PATH 2026-12-1" as older versions wrote it.  A line it cannot
/// read is skipped and counted in bad.
State parse_logrotate_state(std::string_view text, unsigned& bad);

/// Which program wrote a state file.
enum class StateFormat { logroll, logrotate };

/// Reads the state file at path, written by format's program; a missing file is an empty
/// state, and sets *missing when missing is given.  False, with error set, when it cannot be
/// read; bad counts the lines skipped.
bool load_state(const std::string& path, State& state, unsigned& bad, std::string& error,
                StateFormat format = StateFormat::logroll, bool* missing = nullptr);

/// Makes sure the state file at path can be replaced before anything is rotated: creates its
/// directory when that is missing (one level, 0755, as systemd's StateDirectory= would) and
/// checks that logroll may create files in it.  False, with error naming the call, when not.
bool ready_state_dir(const std::string& path, bool& created, std::string& error);

/// Replaces the state file at path: writes a temporary beside it, fsyncs it, renames it over
/// the file and fsyncs the directory, so a crash leaves the old state or the new one.  False,
/// with error naming the call, when any step fails (the old file is then left as it was).
bool save_state(const std::string& path, const State& state, std::string& error);

} // namespace syskit::logroll

// level: the severity of a log line, read from the forms log lines carry it in: syslog's
// <PRI>, a JSON object's "level", logfmt's level=, and ERROR: or [error] prefixes.
#pragma once

#include <optional>
#include <string_view>

namespace syskit::pipekit {

/// Severities in syslog's order, most severe first (RFC 5424), with trace below debug and
/// none for a line that carries no level.
enum class Level : int { emerg, alert, crit, error, warning, notice, info, debug, trace, none };

constexpr int level_count = static_cast<int>(Level::none) + 1;

/// The level a name stands for, in any case: emerg (emergency, panic), alert, crit
/// (critical, fatal), error (err), warning (warn), notice, info (informational), debug,
/// trace.  nullopt for anything else.
std::optional<Level> level_from_name(std::string_view name);

/// The canonical name of a level: "error", "warning", ..., "none".
std::string_view level_name(Level level);

/// The level of one log line (without its newline), looked for in this order: a syslog
/// "<PRI>" at the start (severity = PRI % 8); a JSON object's "level" member (a name, or
/// bunyan/pino's numbers: 60 fatal, 50 error, 40 warn, 30 info, 20 debug, 10 trace);
/// "WORD:" or "[WORD]" among the first four words; logfmt's level=WORD anywhere.  Level::none
/// when none of them is there.  Allocates nothing.
Level line_level(std::string_view line);

} // namespace syskit::pipekit

// schedule: durations on the command line (--interval 1h, --max-age 7d) and the clock-aligned
// times interval rotations happen at.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace syskit::logroll {

/// Seconds in "90", "90s", "15m", "1h", "1d" or "2w": a positive whole number and an
/// optional unit.  nullopt for anything else, zero, or more than 100 years.
std::optional<std::int64_t> parse_duration(std::string_view text);

/// The first multiple of interval seconds since the epoch (UTC) after now: with 1h, the
/// next full hour; with 1d, the next UTC midnight.
std::int64_t next_boundary(std::int64_t now, std::int64_t interval);

} // namespace syskit::logroll

// schedule: the clock-aligned times interval rotations happen at (the durations themselves
// are read by lib/cli/duration).
#pragma once

#include <cstdint>

namespace syskit::logroll {

/// The first multiple of interval seconds since the epoch (UTC) after now: with 1h, the
/// next full hour; with 1d, the next UTC midnight.
std::int64_t next_boundary(std::int64_t now, std::int64_t interval);

} // namespace syskit::logroll

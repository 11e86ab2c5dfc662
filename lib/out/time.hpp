// time: timestamps as every tool writes them in JSON and logs: RFC 3339, in UTC, with "Z".
#pragma once

#include <ctime>
#include <string>

namespace syskit::out {

/// t as RFC 3339 in UTC, "2026-12-01T14:02:05Z", with digits (0 to 9) digits of the second's
/// fraction, truncated: 3 gives "2026-12-01T14:02:05.123Z".  Independent of TZ and the locale.
std::string rfc3339(const timespec& t, int digits = 0);

/// The current time (CLOCK_REALTIME) as rfc3339 writes it.
std::string rfc3339_now(int digits = 0);

} // namespace syskit::out

// elapsed: the seconds since a point of the steady clock, for tests that bound how long a
// wait took.
#pragma once

#include <chrono>

/// Seconds from t0 to now, on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

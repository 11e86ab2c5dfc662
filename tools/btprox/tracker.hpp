// tracker: from a stream of RSSI samples to "near" and "away", with smoothing, hysteresis and
// a timeout for a device that falls silent.  Pure logic: times are passed in, so recorded
// traces replay in tests exactly as they ran.
#pragma once

#include <deque>
#include <optional>
#include <string_view>

namespace syskit::btprox {

enum class Proximity { unknown, near, away };
enum class Smoothing { median, mean };

std::string_view proximity_name(Proximity p);

struct TrackerConfig {
    double away = -70;    ///< away once the smoothed RSSI is below this (dBm)
    double near = -60;    ///< near again only once it is above this (dBm)
    unsigned window = 10; ///< samples smoothed over; a decision needs a full window
    Smoothing smoothing = Smoothing::median;
    double lost = 30; ///< seconds without a sample after which the device is away
};

/// Why the state changed.
enum class Cause { signal, lost };

struct Transition {
    Proximity to;
    Cause cause;
    std::optional<double> smoothed; ///< the smoothed RSSI that decided, for a signal
};

class Tracker {
public:
    /// start: the time (seconds, any origin) from which silence counts.
    Tracker(TrackerConfig config, double start);

    /// A sample of rssi dBm heard at time t (not before the previous one).  Returns the
    /// transition when the state changed: away once the smoothed value of a full window has
    /// stayed below config.away for config.window samples in a row, near as soon as it is
    /// above config.near; between the two the state stays.  A fade shorter than the window
    /// moves a median little, and moves it below --away for fewer samples than the window.
    std::optional<Transition> sample(double t, int rssi);
    /// Time t has come: away, and the window emptied, when nothing was heard for config.lost
    /// seconds (a returning device then needs a full window again).
    std::optional<Transition> tick(double t);

    Proximity state() const { return state_; }
    /// The smoothed RSSI of the window, or nullopt while it is not full.
    std::optional<double> smoothed() const;
    /// The time at which tick() will declare the device lost, if it has not been heard by then.
    double lost_at() const { return last_heard_ + config_.lost; }

private:
    TrackerConfig config_;
    std::deque<int> window_;
    unsigned below_ = 0; ///< samples in a row whose smoothed value was below config.away
    double last_heard_;
    Proximity state_ = Proximity::unknown;
};

} // namespace syskit::btprox

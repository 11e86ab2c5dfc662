#include "tracker.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace syskit::btprox {

std::string_view proximity_name(Proximity p) {
    switch (p) {
    case Proximity::near:
        return "near";
    case Proximity::away:
        return "away";
    case Proximity::unknown:
        break;
    }
    return "unknown";
}

Tracker::Tracker(TrackerConfig config, double start) : config_(config), last_heard_(start) {}

std::optional<double> Tracker::smoothed() const {
    if (window_.empty() || window_.size() < config_.window)
        return std::nullopt;
    if (config_.smoothing == Smoothing::mean)
        return std::accumulate(window_.begin(), window_.end(), 0.0) / static_cast<double>(window_.size());
    std::vector<int> sorted(window_.begin(), window_.end());
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

std::optional<Transition> Tracker::sample(double t, int rssi) {
    last_heard_ = t;
    window_.push_back(rssi);
    while (window_.size() > config_.window)
        window_.pop_front();
    auto s = smoothed();
    if (!s)
        return std::nullopt;
    below_ = *s < config_.away ? below_ + 1 : 0;
    Proximity next = state_;
    if (below_ >= config_.window)
        next = Proximity::away;
    else if (*s > config_.near)
        next = Proximity::near;
    if (next == state_)
        return std::nullopt;
    state_ = next;
    return Transition{next, Cause::signal, s};
}

std::optional<Transition> Tracker::tick(double t) {
    if (t < lost_at())
        return std::nullopt;
    window_.clear();
    below_ = 0;
    if (state_ == Proximity::away)
        return std::nullopt;
    state_ = Proximity::away;
    return Transition{Proximity::away, Cause::lost, std::nullopt};
}

} // namespace syskit::btprox

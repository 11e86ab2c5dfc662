// btprox/tracker: smoothing, hysteresis and --lost on RSSI traces, against the book's single
// threshold polled every 10 s on the same traces.
//
// The traces are synthetic, made here from a fixed seed so every run sees the same numbers:
// a phone's RSSI modelled as a level (falling with distance), Gaussian noise of several dB
// (body shadowing, orientation), and deep fades of a few samples (multipath), one sample a
// second.  They follow the shapes the book warns about; they are not captures of a real radio.
#include "btprox/tracker.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace syskit::btprox;

namespace {

/// One advertisement heard: at t seconds, rssi dBm.
struct Sample {
    double t;
    int rssi;
};
using Trace = std::vector<Sample>;

/// A small deterministic generator (xorshift64*) and Box-Muller normals: the same trace on
/// every platform, unlike std::normal_distribution.
class Noise {
public:
    explicit Noise(std::uint64_t seed) : s_(seed) {}
    double uniform() {
        s_ ^= s_ >> 12;
        s_ ^= s_ << 25;
        s_ ^= s_ >> 27;
        return static_cast<double>((s_ * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
    }
    double normal(double sd) {
        double u1 = uniform(), u2 = uniform();
        return sd * std::sqrt(-2 * std::log(u1 + 1e-300)) * std::cos(2 * M_PI * u2);
    }

private:
    std::uint64_t s_;
};

int clamp_rssi(double v) { return static_cast<int>(std::lround(std::fmax(-110, std::fmin(-20, v)))); }

/// A phone on the desk: level -62 dBm, noise sd 5 dB, a deep fade (-20 to -30 dB for 1 to
/// 3 samples) about every 40 s.
Trace noisy_present(double seconds = 600) {
    Noise n(42);
    Trace tr;
    int fade_left = 0;
    double fade = 0;
    for (double t = 0; t < seconds; t += 1) {
        if (fade_left == 0 && n.uniform() < 1.0 / 40) {
            fade_left = 1 + static_cast<int>(n.uniform() * 3);
            fade = 20 + n.uniform() * 10;
        }
        double v = -62 + n.normal(5) - (fade_left > 0 ? fade : 0);
        if (fade_left > 0)
            --fade_left;
        tr.push_back({t, clamp_rssi(v)});
    }
    return tr;
}

/// A strong, steady phone (-58, sd 3) whose signal drops to about -95 four times, for 3 to
/// 5 samples each (a hand over it, a person walking between).
Trace brief_drops() {
    Noise n(7);
    Trace tr;
    for (double t = 0; t < 300; t += 1) {
        bool drop = false;
        for (double start : {40.0, 110.0, 170.0, 250.0})
            drop = drop || (t >= start && t < start + 3 + static_cast<int>(start) % 3);
        tr.push_back({t, clamp_rssi(drop ? -95 + n.normal(2) : -58 + n.normal(3))});
    }
    return tr;
}

/// At the desk for 60 s (-58), then walking off slowly: the level falls linearly to -90 over
/// 120 s, then stays there; noise sd 4.  The level crosses -70 at t = 105.
Trace slow_walk_away() {
    Noise n(99);
    Trace tr;
    for (double t = 0; t < 300; t += 1) {
        double level = t < 60 ? -58 : t < 180 ? -58 - 32 * (t - 60) / 120 : -90;
        tr.push_back({t, clamp_rssi(level + n.normal(4))});
    }
    return tr;
}

/// Present (-60, sd 4) for 120 s, then silent: the phone switched off or out of range.
Trace stops_advertising() {
    Noise n(5);
    Trace tr;
    for (double t = 0; t < 120; t += 1)
        tr.push_back({t, clamp_rssi(-60 + n.normal(4))});
    return tr;
}

struct Run {
    std::vector<std::pair<double, Transition>> transitions;
    int count(Proximity p) const {
        int n = 0;
        for (auto& [t, tr] : transitions)
            n += tr.to == p;
        return n;
    }
    std::optional<double> first(Proximity p) const {
        for (auto& [t, tr] : transitions)
            if (tr.to == p)
                return t;
        return std::nullopt;
    }
};

/// Replays trace through a Tracker, ticking every second as the lost timer would, until end.
Run replay(const Trace& trace, TrackerConfig config, double end) {
    Tracker tracker(config, 0);
    Run run;
    size_t i = 0;
    for (double now = 0; now <= end; now += 0.5) {
        for (; i < trace.size() && trace[i].t <= now; ++i)
            if (auto tr = tracker.sample(trace[i].t, trace[i].rssi))
                run.transitions.emplace_back(trace[i].t, *tr);
        if (auto tr = tracker.tick(now))
            run.transitions.emplace_back(now, *tr);
    }
    return run;
}

/// The book's loop: every 10 s read the RSSI BlueZ has (the last sample heard), lock when it
/// is below -70 dBm.  Returns the times at which it locks.
std::vector<double> book_locks(const Trace& trace, double end, double threshold = -70, double poll = 10) {
    std::vector<double> locks;
    size_t i = 0;
    std::optional<int> last;
    for (double now = poll; now <= end; now += poll) {
        for (; i < trace.size() && trace[i].t <= now; ++i)
            last = trace[i].rssi;
        if (last && *last < threshold)
            locks.push_back(now);
    }
    return locks;
}

void print_comparison(const char* trace, size_t book, int ours) {
    std::printf("btprox trace %-18s false locks: book's single threshold (-70 dBm, 10 s poll) %zu, "
                "btprox (median of 10, away -70, near -60) %d\n",
                trace, book, ours);
}

} // namespace

TEST_CASE("btprox tracker: a noisy phone that stays on the desk never locks") {
    Trace tr = noisy_present();
    Run run = replay(tr, TrackerConfig{}, 600);
    auto book = book_locks(tr, 600);
    print_comparison("noisy-present", book.size(), run.count(Proximity::away));
    CHECK(run.count(Proximity::away) == 0);
    CHECK(run.count(Proximity::near) == 1);
    // The trace is noisy enough to fool a single threshold: the comparison means something.
    CHECK(book.size() >= 3);
}

TEST_CASE("btprox tracker: brief drops are smoothed away") {
    Trace tr = brief_drops();
    Run run = replay(tr, TrackerConfig{}, 300);
    auto book = book_locks(tr, 300);
    print_comparison("brief-drops", book.size(), run.count(Proximity::away));
    CHECK(run.count(Proximity::away) == 0);
    CHECK(book.size() >= 1);
    // A mean is pulled down by the drops far more than a median.
    TrackerConfig mean;
    mean.smoothing = Smoothing::mean;
    mean.window = 5;
    CHECK(replay(tr, mean, 300).count(Proximity::away) >= 1);
}

TEST_CASE("btprox tracker: a slow walk away locks once, soon after the level crosses -70") {
    Trace tr = slow_walk_away();
    Run run = replay(tr, TrackerConfig{}, 300);
    REQUIRE(run.count(Proximity::away) == 1);
    CHECK(run.count(Proximity::near) == 1);
    double at = *run.first(Proximity::away);
    auto book = book_locks(tr, 300);
    REQUIRE(!book.empty());
    std::printf("btprox trace slow-walk-away     level crosses -70 dBm at 105 s: book's first lock at %.0f s, "
                "btprox away at %.0f s\n",
                book.front(), at);
    CHECK(at >= 95);
    CHECK(at <= 130);
    CHECK(run.transitions.back().second.cause == Cause::signal);
}

TEST_CASE("btprox tracker: a phone that stops advertising is away after --lost, once") {
    Trace tr = stops_advertising();
    Run run = replay(tr, TrackerConfig{}, 400);
    REQUIRE(run.count(Proximity::away) == 1);
    auto [at, transition] = run.transitions.back();
    CHECK(transition.cause == Cause::lost);
    CHECK(!transition.smoothed);
    CHECK(at == doctest::Approx(119 + 30));
    auto book = book_locks(tr, 400);
    std::printf("btprox trace stops-advertising  book's loop locks %zu times (it keeps the last RSSI it read), "
                "btprox once, after --lost 30 s\n",
                book.size());
}

TEST_CASE("btprox tracker: hysteresis between --away and --near holds the state") {
    TrackerConfig c;
    c.window = 1;
    Tracker t(c, 0);
    CHECK(!t.sample(1, -65)); // between the thresholds: no decision yet
    CHECK(t.state() == Proximity::unknown);
    auto n = t.sample(2, -59);
    REQUIRE(n);
    CHECK(n->to == Proximity::near);
    CHECK(!t.sample(3, -60)); // not above -60
    CHECK(!t.sample(4, -70)); // not below -70
    auto a = t.sample(5, -71);
    REQUIRE(a);
    CHECK(a->to == Proximity::away);
    CHECK(*a->smoothed == -71);
    CHECK(!t.sample(6, -61));
    CHECK(!t.sample(7, -72));
    CHECK(t.sample(8, -59)->to == Proximity::near);
}

TEST_CASE("btprox tracker: the window must be full, and a lost device needs a full window again") {
    TrackerConfig c;
    c.window = 3;
    c.lost = 10;
    Tracker t(c, 0);
    CHECK(!t.sample(1, -50));
    CHECK(!t.sample(2, -50));
    CHECK(!t.smoothed());
    CHECK(t.sample(3, -50)->to == Proximity::near);
    CHECK(*t.smoothed() == -50);
    CHECK(!t.tick(12.9));
    CHECK(t.lost_at() == 13);
    auto lost = t.tick(13);
    REQUIRE(lost);
    CHECK(lost->to == Proximity::away);
    CHECK(!t.tick(30)); // once
    CHECK(!t.sample(31, -40));
    CHECK(!t.sample(32, -40));
    CHECK(t.sample(33, -40)->to == Proximity::near);
}

TEST_CASE("btprox tracker: median and mean of an even window") {
    TrackerConfig c;
    c.window = 4;
    Tracker med(c, 0);
    for (int r : {-50, -60, -70, -100})
        med.sample(0, r);
    CHECK(*med.smoothed() == -65);
    c.smoothing = Smoothing::mean;
    Tracker mean(c, 0);
    for (int r : {-50, -60, -70, -100})
        mean.sample(0, r);
    CHECK(*mean.smoothed() == -70);
}

TEST_CASE("btprox tracker: a device never heard is away once --lost has passed since the start") {
    TrackerConfig c;
    c.lost = 5;
    Tracker t(c, 100);
    CHECK(!t.tick(104));
    auto a = t.tick(105);
    REQUIRE(a);
    CHECK(a->cause == Cause::lost);
}

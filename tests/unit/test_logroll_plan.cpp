// logroll/plan: whether a log is due, as logrotate decides it, and the calendar periods.
#include "logroll/plan.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

using namespace syskit::logroll;
using namespace syskit::logroll::plan;
using config::Directives;
using config::Interval;

namespace {
/// Runs the tests in UTC, whatever TZ says, so the periods below are the ones written.
struct Utc {
    Utc() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
} utc;

constexpr std::int64_t day = 86400;
// 2026-12-01T00:00:00Z, a Tuesday.
constexpr std::int64_t dec1 = 1796083200;
} // namespace

TEST_CASE("logroll plan: the calendar periods") {
    CHECK(rfc3339(dec1) == "2026-12-01T00:00:00Z");
    CHECK_FALSE(new_period(Interval::daily, dec1 + 10, dec1 + day - 1));
    CHECK(new_period(Interval::daily, dec1 - 1, dec1));
    CHECK(new_period(Interval::hourly, dec1 + 3599, dec1 + 3600));
    CHECK_FALSE(new_period(Interval::hourly, dec1 + 60, dec1 + 3599));
    // Weeks start on Monday: Tuesday to Sunday is one week, Sunday to Monday a new one.
    CHECK_FALSE(new_period(Interval::weekly, dec1, dec1 + 5 * day));
    CHECK(new_period(Interval::weekly, dec1 + 5 * day, dec1 + 6 * day));
    CHECK_FALSE(new_period(Interval::monthly, dec1, dec1 + 30 * day));
    CHECK(new_period(Interval::monthly, dec1 - 1, dec1));
    CHECK(new_period(Interval::yearly, dec1, dec1 + 31 * day));
    CHECK_FALSE(new_period(Interval::yearly, dec1 - 334 * day, dec1));
}

TEST_CASE("logroll plan: size, maxsize and an interval with minsize") {
    Directives d;
    d.size = 100;
    CHECK_FALSE(decide(d, {99, {}, dec1, false}).rotate);
    CHECK(decide(d, {100, {}, dec1, false}).rotate);
    CHECK(decide(d, {100, {}, dec1, false}).why == "size: 100 bytes, at least 100");

    Directives m;
    m.interval = Interval::monthly;
    m.minsize = 50;
    m.maxsize = 1000;
    auto first = decide(m, {10, std::nullopt, dec1, false});
    CHECK_FALSE(first.rotate);
    CHECK(first.why == "monthly: no rotation recorded in the state file; the first month starts now");
    CHECK_FALSE(decide(m, {60, dec1 + 5, dec1 + day, false}).rotate);
    CHECK(decide(m, {60, dec1 - day, dec1, false}).rotate);
    auto small = decide(m, {10, dec1 - day, dec1, false});
    CHECK_FALSE(small.rotate);
    CHECK(small.why.find("minsize") != std::string::npos);
    // maxsize rotates before the interval is over.
    CHECK(decide(m, {1001, dec1 + 5, dec1 + day, false}).rotate);
}

TEST_CASE("logroll plan: force, no trigger, notifempty") {
    Directives d;
    CHECK(decide(d, {0, {}, dec1, false}).rotate);
    d.size = 1 << 20;
    CHECK(decide(d, {1, {}, dec1, true}).rotate);
    d.ifempty = false;
    auto empty = decide(d, {0, {}, dec1, true});
    CHECK_FALSE(empty.rotate);
    CHECK(empty.why == "empty (notifempty)");
}

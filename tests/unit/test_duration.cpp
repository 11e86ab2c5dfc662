// cli/duration: seconds (fdlock -w, inwatch -t, logroll --wait) and durations with units
// (logroll --interval, --age, --max-age).
#include "cli/duration.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::cli;

TEST_CASE("parse_seconds takes non-negative decimal seconds") {
    CHECK(parse_seconds("5") == 5.0);
    CHECK(parse_seconds("0.5") == 0.5);
    CHECK(parse_seconds(".25") == 0.25);
    CHECK(parse_seconds("0") == 0.0);
    CHECK(parse_seconds("1e-3") == 0.001);
    for (const char* bad : {"", "-1", "abc", "5s", " 5", "inf", "nan", "1e10", "+1", "0.5 "}) {
        std::string text = bad;
        CAPTURE(text);
        CHECK_FALSE(parse_seconds(bad));
    }
}

TEST_CASE("parse_seconds reads every decimal form and nothing else") {
    CHECK(parse_seconds("5.") == 5.0);
    CHECK(parse_seconds("1E2") == 100.0);
    CHECK(parse_seconds("2.5e+1") == 25.0);
    CHECK(parse_seconds("1000000000") == 1e9);
    for (const char* bad : {".", "e3", ".e3", "1e", "1e+", "1.2.3", "0x10", "1,5", "1_000", "1e5000", "1000000001"}) {
        std::string text = bad;
        CAPTURE(text);
        CHECK_FALSE(parse_seconds(bad));
    }
}

TEST_CASE("parse_seconds stops at the maximum it is given") {
    CHECK(parse_seconds("86400", 86400) == 86400.0);
    CHECK_FALSE(parse_seconds("86400.5", 86400));
    CHECK(parse_seconds("0", 0) == 0.0);
    CHECK_FALSE(parse_seconds("0.001", 0));
}

TEST_CASE("logroll durations") {
    CHECK(parse_duration("90") == 90);
    CHECK(parse_duration("90s") == 90);
    CHECK(parse_duration("15m") == 900);
    CHECK(parse_duration("1h") == 3600);
    CHECK(parse_duration("1d") == 86400);
    CHECK(parse_duration("2w") == 14 * 86400);
    for (const char* bad : {"", "0", "0h", "h", "1x", "-1h", "1.5h", "1 h", "99999999999999999999d"})
        CHECK_MESSAGE(!parse_duration(bad), bad);
}

TEST_CASE("parse_duration stops at 100 years, in any unit") {
    constexpr std::int64_t limit = std::int64_t{100} * 366 * 86400;
    CHECK(parse_duration(std::to_string(limit)) == limit);
    CHECK_FALSE(parse_duration(std::to_string(limit + 1)));
    CHECK(parse_duration("5228w") == std::int64_t{5228} * 7 * 86400);
    CHECK_FALSE(parse_duration("5229w"));
    CHECK(parse_duration("007m") == 420);
    for (const char* bad : {"1hh", "1H", "1ms", "1e3", "1s ", "+1"})
        CHECK_MESSAGE(!parse_duration(bad), bad);
}

TEST_CASE("not_a_duration names the value and says what a duration is") {
    CHECK(not_a_duration("1y") == "'1y' is not a duration (a positive number, then s, m, h, d or w)");
}

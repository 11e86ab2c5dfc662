// out/time: RFC 3339 timestamps in UTC with "Z", whatever TZ says.
#include "out/time.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>

using namespace syskit;

TEST_CASE("rfc3339 writes UTC with Z and the fraction asked for, truncated") {
    timespec t{1764597725, 987654321}; // 2025-12-01T14:02:05.987654321Z
    CHECK(out::rfc3339(t) == "2025-12-01T14:02:05Z");
    CHECK(out::rfc3339(t, 3) == "2025-12-01T14:02:05.987Z");
    CHECK(out::rfc3339(t, 6) == "2025-12-01T14:02:05.987654Z");
    CHECK(out::rfc3339(t, 9) == "2025-12-01T14:02:05.987654321Z");
    CHECK(out::rfc3339(t, 12) == "2025-12-01T14:02:05.987654321Z");
    CHECK(out::rfc3339(timespec{0, 5'000'000}, 3) == "1970-01-01T00:00:00.005Z");
}

TEST_CASE("rfc3339 does not depend on TZ") {
    const char* old = std::getenv("TZ");
    std::string saved = old ? old : "";
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    CHECK(out::rfc3339(timespec{1764597725, 0}) == "2025-12-01T14:02:05Z");
    if (old)
        setenv("TZ", saved.c_str(), 1);
    else
        unsetenv("TZ");
    tzset();
    CHECK(std::regex_match(out::rfc3339_now(3), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

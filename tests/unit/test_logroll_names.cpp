// logroll/names: the stamps in rotated names, and which names are rotations of a log.
#include "logroll/names.hpp"

#include <doctest/doctest.h>

using namespace syskit::logroll;

TEST_CASE("logroll stamps are UTC, sortable, and parsed back exactly") {
    CHECK(stamp(0) == "19700101T000000Z");
    CHECK(stamp(1706745599) == "20240131T235959Z");
    CHECK(stamp(951782400) == "20000229T000000Z"); // a leap day
    CHECK(stamp(-1) == "19691231T235959Z");
    for (std::int64_t t : {std::int64_t{0}, std::int64_t{1706745599}, std::int64_t{951782400}, std::int64_t{4102444800}})
        CHECK(parse_stamp(stamp(t)) == t);
    CHECK_FALSE(parse_stamp("20240230T000000Z")); // February 30th
    CHECK_FALSE(parse_stamp("20230229T000000Z")); // not a leap year
    CHECK_FALSE(parse_stamp("20240131T240000Z"));
    CHECK_FALSE(parse_stamp("20240131T235960Z"));
    CHECK_FALSE(parse_stamp("20240131 235959Z"));
    CHECK_FALSE(parse_stamp("20240131T235959"));
    CHECK_FALSE(parse_stamp("2024013XT235959Z"));
}

TEST_CASE("logroll rotated names are made and recognised, and nothing else is") {
    CHECK(rotated_name("app.log", Scheme::timestamp, 1706745599, 0) == "app.log.20240131T235959Z");
    CHECK(rotated_name("app.log", Scheme::timestamp, 1706745599, 3) == "app.log.20240131T235959Z.3");
    CHECK(rotated_name("app.log", Scheme::numbered, 0, 12) == "app.log.12");

    auto r = parse_rotated("app.log", Scheme::timestamp, "app.log.20240131T235959Z.3.zst");
    REQUIRE(r);
    CHECK(r->time == 1706745599);
    CHECK(r->seq == 3);
    CHECK(r->compression == Compression::zstd);
    r = parse_rotated("app.log", Scheme::timestamp, "app.log.20240131T235959Z.gz");
    REQUIRE(r);
    CHECK(r->seq == 0);
    CHECK(r->compression == Compression::gzip);
    r = parse_rotated("app.log", Scheme::numbered, "app.log.7");
    REQUIRE(r);
    CHECK(r->seq == 7);

    for (const char* not_ours : {"app.log", "app.log.", "app.log.old", "app.log.1~", "app.log.01", "app.log.0",
                                 "app.log.20240131T235959Z.", "app.log.20240131T235959Z.0", "app.log.20240131T235959Z.x",
                                 "app.log.20240131T235959Z.gz.gz", ".app.log.20240131T235959Z.gz.tmp",
                                 "app.logx.20240131T235959Z", "other.20240131T235959Z", "app.log.1234567890123456789",
                                 "app.log.20240131T235959Z.1.2", ".app.log.lock"})
        CHECK_MESSAGE(!parse_rotated("app.log", Scheme::timestamp, not_ours), not_ours);
    // Each scheme deletes only its own names.
    CHECK_FALSE(parse_rotated("app.log", Scheme::numbered, "app.log.20240131T235959Z"));
    CHECK_FALSE(parse_rotated("app.log", Scheme::timestamp, "app.log.3"));
    CHECK_FALSE(parse_rotated("app.log", Scheme::numbered, "app.log.3.bz2"));
}

// cli/size: the sizes given on the command line, such as --min-size 10M.
#include "cli/size.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

using namespace syskit;

TEST_CASE("parse_size: numbers and binary units") {
    using cli::parse_size;
    CHECK(parse_size("0") == 0u);
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("10K") == 10240u);
    CHECK(parse_size("10k") == 10240u);
    CHECK(parse_size("10KB") == 10240u);
    CHECK(parse_size("64KiB") == 65536u);
    CHECK(parse_size("64kib") == 65536u);
    CHECK(parse_size("1.5M") == 1572864u);
    CHECK(parse_size("4M") == 4u << 20);
    CHECK(parse_size("2G") == 2ull << 30);
    CHECK(parse_size("3T") == 3ull << 40);
    CHECK(parse_size("1P") == 1ull << 50);
    CHECK(parse_size("1E") == 1ull << 60);
    CHECK(parse_size("15E") == 15ull << 60);
    CHECK(parse_size("0.5K") == 512u);
    CHECK(parse_size("0.001K") == 1u);           // 1.024 bytes, rounded down
    CHECK(parse_size("1.999K") == 2046u);        // rounded down to whole bytes
    CHECK(parse_size("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("parse_size: rejects what is not a size") {
    using cli::parse_size;
    for (const char* bad : {"", "K", "-1", "+1", "1.5", "1.", ".5K", "1.K", "10X", "1 K", " 1", "1 ", "0x10",
                            "1KiBB", "1iB", "1Ki", "1KK", "1e3", "16E", "17E", "16.0E",
                            "18446744073709551616", "99999999999999999999999", "16777216T"}) {
        CAPTURE(std::string(bad));
        CHECK_FALSE(parse_size(bad).has_value());
    }
}

TEST_CASE("parse_size: the largest values of each unit") {
    using cli::parse_size;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    CHECK(parse_size(std::to_string(max >> 10) + "K") == (max >> 10) << 10);
    CHECK_FALSE(parse_size(std::to_string((max >> 10) + 1) + "K").has_value());
    CHECK(parse_size("15.999999999E").has_value());
    CHECK(*parse_size("15.999999999E") > 15ull << 60);
}

// logroll/lines: where a log is cut (whole lines only) and the stamps in front of lines.
#include "logroll/lines.hpp"

#include <doctest/doctest.h>

#include <ctime>
#include <string>
#include <string_view>

using namespace syskit::logroll;

TEST_CASE("logroll cuts only at line boundaries") {
    std::string_view d = "aaaa\nbbbb\ncccc\n"; // three lines of 5 bytes
    CHECK(fit(d, 0, 100) == 15);  // all fits
    CHECK(fit(d, 0, 15) == 15);   // exactly
    CHECK(fit(d, 0, 14) == 10);   // the third line would pass the limit
    CHECK(fit(d, 0, 9) == 5);
    CHECK(fit(d, 5, 9) == 0);     // not even one line: rotate first
    CHECK(fit(d, 10, 10) == 0);   // full already
    CHECK(fit(d, 0, 3) == 5);     // a line longer than the limit goes whole into an empty file
    CHECK(fit(d, 90, 100) == 10);
    std::string_view longline = "0123456789012345678901234\nx\n";
    CHECK(fit(longline, 0, 10) == 26);
    CHECK(fit(longline, 1, 10) == 0);
}

TEST_CASE("logroll prefixes each line, across reads") {
    std::string out;
    bool start = true;
    prefix_lines("one\ntw", "T ", start, out);
    CHECK(out == "T one\nT tw");
    CHECK_FALSE(start);
    prefix_lines("o\n\nthree\n", "T ", start, out);
    CHECK(out == "T one\nT two\nT \nT three\n");
    CHECK(start);

    timespec t{1706745599, 123456789};
    CHECK(line_prefix(Stamp::iso8601, t) == "2024-01-31T23:59:59.123456Z ");
    CHECK(line_prefix(Stamp::tai64n, t) == "@4000000065badf09075bcd15 ");
    CHECK(line_prefix(Stamp::none, t).empty());
}

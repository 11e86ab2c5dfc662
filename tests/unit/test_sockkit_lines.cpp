// sockkit/lines: lines cut from a stream in any pieces, with a bound on their length.
#include "sockkit/lines.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::sockkit;

namespace {
std::vector<std::string> feed_all(LineReader& r, const std::vector<std::string>& pieces, bool& ok) {
    std::vector<std::string> lines;
    ok = true;
    for (auto& p : pieces)
        ok = r.feed(p, [&](std::string_view l) { lines.emplace_back(l); }) && ok;
    return lines;
}
} // namespace

TEST_CASE("sockkit lines: split across reads, CRLF and LF, empty lines") {
    LineReader r(10);
    bool ok;
    auto lines = feed_all(r, {"ab", "c\nde\r", "\n\nf", "g\r\nh"}, ok);
    CHECK(ok);
    CHECK(lines == std::vector<std::string>{"abc", "de", "", "fg"});
    CHECK(r.buffered() == 1);
}

TEST_CASE("sockkit lines: a line of exactly the limit passes, one byte more fails, and nothing after") {
    LineReader r(4);
    bool ok;
    auto lines = feed_all(r, {"abcd\r\n", "abcd\n"}, ok);
    CHECK(ok);
    CHECK(lines.size() == 2);
    lines = feed_all(r, {"abcde\n", "x\n"}, ok);
    CHECK_FALSE(ok);
    CHECK(lines.empty());
    CHECK(r.failed());
}

TEST_CASE("sockkit lines: 100 MB without a newline fails early and holds almost nothing") {
    LineReader r(4096);
    std::string chunk(65536, 'x');
    bool ok = true;
    std::size_t fed = 0;
    while (ok && fed < (std::size_t{100} << 20)) {
        ok = r.feed(chunk, [](std::string_view) { FAIL("no line may come out"); });
        fed += chunk.size();
    }
    CHECK_FALSE(ok);
    CHECK(fed == 65536);
    CHECK(r.buffered() == 0);
}

TEST_CASE("sockkit lines: a long line in small pieces fails once past the limit") {
    LineReader r(100);
    bool ok = true;
    int pieces = 0;
    while (ok && pieces < 1000) {
        ok = r.feed("0123456789", [](std::string_view) {});
        ++pieces;
    }
    CHECK(pieces == 11);
    CHECK(r.buffered() == 0);
}

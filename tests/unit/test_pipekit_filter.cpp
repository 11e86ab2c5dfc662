// pipekit/filter: lines judged by level, however the stream is cut, in bounded memory.
#include "pipekit/filter.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::pipekit;

namespace {
/// What the filter keeps of stream fed in pieces of step bytes.
std::string kept(const std::string& stream, std::size_t step, Level least = Level::error, bool all = false,
                 std::array<std::uint64_t, level_count>* counts = nullptr) {
    std::string out;
    LineFilter f(least, all, [&](std::string_view s) { out.append(s); });
    for (std::size_t at = 0; at < stream.size(); at += step)
        f.feed(std::string_view(stream).substr(at, step));
    f.end();
    if (counts)
        *counts = f.counts();
    return out;
}
} // namespace

TEST_CASE("pipekit the filter keeps lines at or above the level, whatever the cuts") {
    std::string log = "ERROR: a\n[info] b\ntime=1 level=crit\n{\"level\":\"debug\"}\n<12>warn\nno level\n[error] last";
    for (std::size_t step : {1, 2, 5, 64, 4096}) {
        CAPTURE(step);
        CHECK(kept(log, step) == "ERROR: a\ntime=1 level=crit\n[error] last\n");
        CHECK(kept(log, step, Level::warning) == "ERROR: a\ntime=1 level=crit\n<12>warn\n[error] last\n");
    }
    std::array<std::uint64_t, level_count> counts{};
    CHECK(kept(log, 3, Level::trace, true, &counts) == log + "\n");
    CHECK(counts[static_cast<int>(Level::error)] == 2);
    CHECK(counts[static_cast<int>(Level::crit)] == 1);
    CHECK(counts[static_cast<int>(Level::info)] == 1);
    CHECK(counts[static_cast<int>(Level::debug)] == 1);
    CHECK(counts[static_cast<int>(Level::warning)] == 1);
    CHECK(counts[static_cast<int>(Level::none)] == 1);
}

TEST_CASE("pipekit a line longer than the filter holds is judged by its start and passed whole") {
    std::string huge_error = "ERROR: " + std::string(300000, 'e');
    std::string huge_info = "INFO: " + std::string(300000, 'i');
    std::string log = huge_info + "\n" + huge_error + "\nERROR: small\n" + huge_info;
    for (std::size_t step : {7, 65536, 1 << 20})
        CHECK(kept(log, step) == huge_error + "\nERROR: small\n");
    CHECK(kept(huge_error, 1000) == huge_error + "\n");
}

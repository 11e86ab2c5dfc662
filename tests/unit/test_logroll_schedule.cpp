// logroll/schedule: the clock-aligned times of --interval rotations.
#include "logroll/schedule.hpp"

#include <doctest/doctest.h>

using namespace syskit::logroll;

TEST_CASE("logroll clock-aligned intervals") {
    CHECK(next_boundary(3599, 3600) == 3600);
    CHECK(next_boundary(3600, 3600) == 7200); // at a boundary: the next one
    CHECK(next_boundary(1706745599, 86400) == 1706745600);
    CHECK(next_boundary(1706745600 + 5, 86400) == 1706745600 + 86400);
}

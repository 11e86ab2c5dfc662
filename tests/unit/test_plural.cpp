// out/plural: counts that agree with their nouns.
#include "out/plural.hpp"

#include <doctest/doctest.h>

using syskit::out::plural;

TEST_CASE("plural picks the noun's form by the count") {
    CHECK(plural(1, "duplicate group", "duplicate groups") == "1 duplicate group");
    CHECK(plural(0, "duplicate group", "duplicate groups") == "0 duplicate groups");
    CHECK(plural(2, "entry", "entries") == "2 entries");
    CHECK(plural(1, "file") == "1 file");
    CHECK(plural(3, "file") == "3 files");
    CHECK(plural(0, "watch", "watches") == "0 watches");
}

#include "fs/glob.hpp"

#include <doctest/doctest.h>

using syskit::fs::GlobSet;

TEST_CASE("a pattern without a slash matches the name at any depth") {
    GlobSet g({"*.o", ".git"});
    CHECK(g.matches("src/a/b.o", "b.o"));
    CHECK(g.matches("x/.git", ".git"));
    CHECK_FALSE(g.matches("x/.github", ".github"));
    CHECK_FALSE(g.matches("x/b.c", "b.c"));
}

TEST_CASE("a pattern with a slash matches the whole path, '*' crossing slashes") {
    GlobSet g({"*/cache/*"});
    CHECK(g.matches("root/a/cache/x", "x"));
    CHECK(g.matches("root/cache/deep/er", "er"));
    CHECK_FALSE(g.matches("root/cache", "cache"));
}

TEST_CASE("an empty set matches nothing") {
    GlobSet g;
    CHECK(g.empty());
    CHECK_FALSE(g.matches("a", "a"));
}

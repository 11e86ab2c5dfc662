#include "fs/beneath.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

using namespace syskit::fs;

TEST_CASE("open_beneath reaches a file below the root") {
    TempDir t;
    t.write("a/b/file", "x", 0666);
    UniqueFd root(open(t.path.c_str(), O_PATH | O_DIRECTORY));
    UniqueFd fd = open_beneath(root.get(), "a/b/file");
    REQUIRE(fd);
    struct stat st, want;
    fstat(fd.get(), &st);
    stat((t / "a/b/file").c_str(), &want);
    CHECK(st.st_ino == want.st_ino);

    REQUIRE(chmod_fd(fd.get(), 0644) == 0);
    stat((t / "a/b/file").c_str(), &st);
    CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("open_beneath follows no symlink on the way and stays beneath the root") {
    TempDir t;
    t.write("inside/file", "x");
    t.write("outside/file", "x");
    REQUIRE(symlink("../outside", (t / "inside/swapped").c_str()) == 0);
    UniqueFd root(open((t / "inside").c_str(), O_PATH | O_DIRECTORY));

    errno = 0;
    CHECK_FALSE(open_beneath(root.get(), "swapped/file"));
    CHECK(errno == ELOOP);
    CHECK_FALSE(open_beneath(root.get(), "../outside/file"));
    CHECK_FALSE(open_beneath(root.get(), (t / "outside/file")));
}

TEST_CASE("a symlink at the end is opened itself, not its target") {
    TempDir t;
    t.write("target", "x", 0666);
    REQUIRE(symlink("target", (t / "link").c_str()) == 0);
    UniqueFd root(open(t.path.c_str(), O_PATH | O_DIRECTORY));
    UniqueFd fd = open_beneath(root.get(), "link");
    REQUIRE(fd);
    struct stat st;
    fstat(fd.get(), &st);
    CHECK(S_ISLNK(st.st_mode));
}

TEST_CASE("an empty path gives the root itself") {
    TempDir t;
    UniqueFd root(open(t.path.c_str(), O_PATH | O_DIRECTORY));
    UniqueFd fd = open_beneath(root.get(), "");
    REQUIRE(fd);
    struct stat a, b;
    fstat(fd.get(), &a);
    fstat(root.get(), &b);
    CHECK(a.st_ino == b.st_ino);
}

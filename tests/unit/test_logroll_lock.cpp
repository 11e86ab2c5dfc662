// logroll/rotate: the lock of each log, one byte of its directory's .logroll.lock.
#include "logroll/rotate.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

using namespace syskit;
using namespace syskit::logroll;

TEST_CASE("logroll lock: every log of a directory has its own byte, the same in every run") {
    auto a = lock_range("app.log"), b = lock_range("app.log.1"), c = lock_range("app.log");
    CHECK(a == c);
    CHECK(a.start != b.start);
    CHECK(a.length == 1);
    CHECK(a.start >= 0);
    // FNV-1a 64 of "app.log", shifted right by 2: a change here moves the byte older logrolls
    // lock, and two versions running side by side would no longer exclude each other.
    CHECK(lock_range("app.log").start == static_cast<std::int64_t>(0x75aa607b6ca7892cULL >> 2));
}

TEST_CASE("logroll lock: one log is locked once, two logs of one directory at the same time") {
    char tmpl[] = "/tmp/logroll-lock.XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    const std::string dir = tmpl;
    fs::UniqueFd dirfd(::open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(dirfd);
    fs::UniqueFd a, again, b;
    CHECK(lock_log(dirfd.get(), "a.log", 0, a) == 0);
    CHECK(lock_log(dirfd.get(), "a.log", 0, again) == EAGAIN);
    CHECK(lock_log(dirfd.get(), "b.log", 0, b) == 0);
    struct stat st{};
    CHECK(::fstatat(dirfd.get(), ".a.log.lock", &st, 0) != 0);
    REQUIRE(::fstatat(dirfd.get(), lock_file, &st, 0) == 0);
    CHECK(st.st_size == 0);
    a.reset();
    CHECK(lock_log(dirfd.get(), "a.log", 0, again) == 0);
    again.reset();
    b.reset();
    ::unlinkat(dirfd.get(), lock_file, 0);
    ::rmdir(tmpl);
}

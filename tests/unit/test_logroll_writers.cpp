// logroll/writers: whether a process holds a file open for writing, seen in /proc.
#include "logroll/writers.hpp"

#include "fs/fd.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace syskit;
using namespace syskit::logroll;

TEST_CASE("logroll sees a file held open for writing, and only for writing") {
    char dir[] = "/tmp/logroll-writers-XXXXXX";
    REQUIRE(mkdtemp(dir));
    fs::UniqueFd d(::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    {
        fs::UniqueFd w(::openat(d.get(), "log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        REQUIRE(w);
        CHECK(open_for_writing(d.get(), "log"));
    }
    CHECK_FALSE(open_for_writing(d.get(), "log"));
    {
        fs::UniqueFd r(::openat(d.get(), "log", O_RDONLY | O_CLOEXEC));
        CHECK_FALSE(open_for_writing(d.get(), "log")); // reading is no reason to wait
        fs::UniqueFd rw(::openat(d.get(), "log", O_RDWR | O_CLOEXEC));
        CHECK(open_for_writing(d.get(), "log"));
    }
    SUBCASE("another process's descriptor, until it exits") {
        int ends[2];
        REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
        fs::UniqueFd ready_r(ends[0]), ready_w(ends[1]);
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            fs::UniqueFd held(::openat(d.get(), "log", O_WRONLY | O_APPEND));
            (void)!::write(ready_w.get(), "x", 1);
            ::pause();
            ::_exit(0);
        }
        ready_w.reset();
        char c;
        REQUIRE(::read(ready_r.get(), &c, 1) == 1);
        CHECK(open_for_writing(d.get(), "log"));
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        CHECK_FALSE(open_for_writing(d.get(), "log"));
    }
    CHECK_FALSE(open_for_writing(d.get(), "missing"));
    ::unlinkat(d.get(), "log", 0);
    ::rmdir(dir);
}

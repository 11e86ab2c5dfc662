// fs/fifo: FIFOs made with unpredictable names and exact modes, and opened only when they are
// what they should be.
#include "fs/fifo.hpp"

#include "as_nobody.hpp"
#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

using namespace syskit::fs;

TEST_CASE("fifo: make_fifo makes a new FIFO with exactly the mode asked, under a new name each time") {
    TempDir dir;
    mode_t old = ::umask(077);
    std::string a, b, error;
    REQUIRE_MESSAGE(make_fifo(dir.path.string(), "t", 0640, a, error), error);
    REQUIRE(make_fifo(dir.path.string(), "t", 0600, b, error));
    ::umask(old);
    CHECK(a != b);
    CHECK(a.rfind(dir / "t.", 0) == 0);
    CHECK(a.size() == (dir / "t.").size() + 16);
    struct stat st;
    REQUIRE(::lstat(a.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(!make_fifo(dir / "missing", "t", 0600, a, error));
    CHECK(error == dir / "missing" + ": open: No such file or directory");
}

TEST_CASE("fifo: fifo_problem refuses other kinds of file, other owners and writable-by-others FIFOs") {
    struct stat st {};
    st.st_mode = S_IFIFO | 0600;
    st.st_uid = 1000;
    CHECK(fifo_problem(st, 1000) == "");
    CHECK(fifo_problem(st, 0) == "is owned by uid 1000, not 0: refusing a FIFO another user may have planted");
    st.st_mode = S_IFIFO | 0622;
    CHECK(fifo_problem(st, 1000) == "can be written by other users (mode 0622)");
    st.st_mode = S_IFREG | 0600;
    CHECK(fifo_problem(st, 1000) == "is not a FIFO (a regular file)");
    st.st_mode = S_IFCHR | 0600;
    CHECK(fifo_problem(st, 1000) == "is not a FIFO (a character device)");
}

TEST_CASE("fifo: open_fifo opens a good FIFO and refuses symlinks, files and a missing reader") {
    TempDir dir;
    std::string path, error;
    REQUIRE(make_fifo(dir.path.string(), "t", 0600, path, error));
    FifoOpen reading;
    reading.owner = ::geteuid();
    UniqueFd r = open_fifo(path, reading, error);
    REQUIRE_MESSAGE(r, error);
    CHECK((::fcntl(r.get(), F_GETFL) & O_NONBLOCK) != 0);

    FifoOpen writing = reading;
    writing.write = true;
    writing.timeout = 0.1;
    CHECK(open_fifo(path, writing, error));
    r.reset();
    errno = 0;
    CHECK_FALSE(open_fifo(path, writing, error));
    CHECK(errno == ETIMEDOUT);
    CHECK(error == path + ": no reader after 0.1 s");

    REQUIRE(::symlink(path.c_str(), (dir / "link").c_str()) == 0);
    CHECK_FALSE(open_fifo(dir / "link", reading, error));
    CHECK(error == dir / "link" + ": is a symbolic link: refusing to follow it");
    dir.write("file", "x", 0600);
    CHECK_FALSE(open_fifo(dir / "file", reading, error));
    CHECK(error == dir / "file" + ": is not a FIFO (a regular file)");
    FifoOpen someone_else = reading;
    someone_else.owner = reading.owner + 1;
    CHECK_FALSE(open_fifo(path, someone_else, error));
    CHECK(error.find("is owned by uid") != std::string::npos);
}

TEST_CASE("fifo: a FIFO planted by another user is refused") {
    if (::geteuid() != 0)
        return; // only root can make a FIFO that belongs to someone else
    TempDir dir;
    ::chmod(dir.path.c_str(), 01777);
    std::string planted = dir / "planted";
    CHECK(as_nobody([&] { return ::mkfifo(planted.c_str(), 0600) == 0; }));
    FifoOpen how;
    how.owner = 0;
    std::string error;
    CHECK_FALSE(open_fifo(planted, how, error));
    CHECK(error == planted + ": is owned by uid 65534, not 0: refusing a FIFO another user may have planted");
}

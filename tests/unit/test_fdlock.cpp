#include "fdlock/flock_cli.hpp"
#include "fdlock/lockfile.hpp"
#include "fdlock/holdings.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

using namespace syskit;
using namespace syskit::fdlock;

TEST_CASE("parse_fd takes decimal descriptor numbers") {
    CHECK(parse_fd("9") == 9);
    CHECK(parse_fd("0") == 0);
    CHECK(parse_fd("2147483647") == 2147483647);
    for (const char* bad : {"", "-1", "+3", "9a", "x", "2147483648", " 9"}) {
        std::string text = bad;
        CAPTURE(text);
        CHECK_FALSE(parse_fd(bad));
    }
}

TEST_CASE("open_lock_file creates a missing file with mode 0644 whatever the umask") {
    TempDir t;
    mode_t old = umask(077);
    Opened o = open_lock_file(t / "new", lock::Mode::exclusive, true);
    umask(old);
    REQUIRE(o.fd);
    struct stat st;
    REQUIRE(stat((t / "new").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK((fcntl(o.fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(o.fd.get(), F_GETFL) & O_ACCMODE) == O_WRONLY);

    Opened s = open_lock_file(t / "new", lock::Mode::shared, true);
    REQUIRE(s.fd);
    CHECK((fcntl(s.fd.get(), F_GETFL) & O_ACCMODE) == O_RDONLY);
}

TEST_CASE("open_lock_file refuses what it should not create or cannot lock") {
    TempDir t;
    Opened o = open_lock_file(t / "missing", lock::Mode::exclusive, false);
    CHECK_FALSE(o.fd);
    CHECK(o.why.find("No such file") != std::string::npos);
    CHECK(access((t / "missing").c_str(), F_OK) != 0);

    REQUIRE(symlink((t / "elsewhere").c_str(), (t / "dangling").c_str()) == 0);
    o = open_lock_file(t / "dangling", lock::Mode::exclusive, true);
    CHECK_FALSE(o.fd);
    CHECK(o.why.find("dangling symbolic link") != std::string::npos);
    CHECK(access((t / "elsewhere").c_str(), F_OK) != 0);

    t.mkdir("dir");
    o = open_lock_file(t / "dir", lock::Mode::exclusive, true);
    CHECK_FALSE(o.fd);
    CHECK(o.why.find("is a directory") != std::string::npos);
    CHECK(open_lock_file(t / "dir", lock::Mode::shared, true).fd);

    o = open_lock_file(t / "no/such/dir/f", lock::Mode::exclusive, true);
    CHECK_FALSE(o.fd);
    CHECK(o.why.find("cannot create the lock file") != std::string::npos);

    // A FIFO, which opens for reading and fails for writing with ENXIO, is named.
    REQUIRE(mkfifo((t / "fifo").c_str(), 0644) == 0);
    for (auto mode : {lock::Mode::exclusive, lock::Mode::shared}) {
        o = open_lock_file(t / "fifo", mode, true);
        CHECK_FALSE(o.fd);
        CHECK(o.why == "is a FIFO (named pipe), not a file to lock: give a regular file");
    }
}

TEST_CASE("bad_descriptor_reason says which way the descriptor must be open") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd ro(open((t / "f").c_str(), O_RDONLY)), wo(open((t / "f").c_str(), O_WRONLY)),
        path(open((t / "f").c_str(), O_PATH));
    CHECK(bad_descriptor_reason(ro.get(), lock::Mode::exclusive).find("open for writing") != std::string::npos);
    CHECK(bad_descriptor_reason(wo.get(), lock::Mode::shared).find("open for reading") != std::string::npos);
    CHECK(bad_descriptor_reason(path.get(), lock::Mode::shared).find("O_PATH") != std::string::npos);
}

TEST_CASE("text_line and json_line print a holding") {
    lock::Holding h;
    h.lock = *lock::parse_lock_line("1: OFDLCK ADVISORY  WRITE -1 fe:00:1835021 100 199");
    h.pid = 4113;
    h.command = "my job\\";
    h.fd = 3;
    h.path = "/run/lock/a b";
    CHECK(text_line(h, false) == "4113 my\\x20job\\x5c OFDLCK WRITE 100 199 /run/lock/a b");
    CHECK(json_line(h) == "{\"pid\":4113,\"command\":\"my job\\\\\",\"type\":\"OFDLCK\",\"mode\":\"WRITE\","
                         "\"start\":100,\"end\":199,\"waiting\":false,\"fd\":3,\"path\":\"/run/lock/a b\","
                         "\"device\":\"fe:00\",\"inode\":1835021}");
    lock::Holding unknown;
    unknown.lock = *lock::parse_lock_line("2: -> POSIX ADVISORY READ 7 103:1a:5 0 EOF");
    CHECK(text_line(unknown, false) == "- - POSIX READ* 0 EOF -");
    CHECK(json_line(unknown) == "{\"pid\":null,\"command\":null,\"type\":\"POSIX\",\"mode\":\"READ\",\"start\":0,"
                               "\"end\":null,\"waiting\":true,\"fd\":null,\"path\":null,\"device\":\"103:1a\","
                               "\"inode\":5}");
    h.path = "/tmp/\x1b[2J";
    CHECK(text_line(h, true).find('\x1b') == std::string::npos);
}

TEST_CASE("blocks: which locks stand in the way of a request") {
    auto line = [](const char* s) { return *lock::parse_lock_line(s); };
    lock::Range whole{}, tail{200, 0};
    CHECK(blocks(line("1: OFDLCK ADVISORY READ -1 fe:00:1 0 EOF"), lock::Mode::exclusive, whole));
    CHECK_FALSE(blocks(line("1: OFDLCK ADVISORY READ -1 fe:00:1 0 EOF"), lock::Mode::shared, whole));
    CHECK(blocks(line("1: POSIX ADVISORY WRITE 5 fe:00:1 0 EOF"), lock::Mode::shared, whole));
    CHECK_FALSE(blocks(line("1: POSIX ADVISORY WRITE 5 fe:00:1 100 199"), lock::Mode::exclusive, tail));
    CHECK_FALSE(blocks(line("1: FLOCK ADVISORY WRITE 5 fe:00:1 0 EOF"), lock::Mode::exclusive, whole));
    CHECK_FALSE(blocks(line("1: -> POSIX ADVISORY WRITE 5 fe:00:1 0 EOF"), lock::Mode::exclusive, whole));
    CHECK(range_of(line("1: POSIX ADVISORY WRITE 5 fe:00:1 100 199")) == lock::Range{100, 100});
}

TEST_CASE("describe_request names mode, owner and bytes") {
    CHECK(describe_request({lock::Owner::ofd, lock::Mode::exclusive, {}}) ==
          "an exclusive OFD lock on the whole file");
    CHECK(describe_request({lock::Owner::posix, lock::Mode::shared, {10, 0}}) == "a shared POSIX lock on bytes 10-EOF");
    CHECK(describe_request({lock::Owner::ofd, lock::Mode::shared, {10, 5}}) == "a shared OFD lock on bytes 10-14");
}

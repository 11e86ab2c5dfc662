#include "lock/holders.hpp"
#include "lock/lock.hpp"
#include "lock/proc_locks.hpp"

#include "fs/fd.hpp"
#include "tmpdir.hpp"
#include "elapsed.hpp"

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace syskit;
using namespace syskit::lock;

namespace {

Request exclusive(Range r = {}) { return {Owner::ofd, Mode::exclusive, r}; }
Request shared(Range r = {}) { return {Owner::ofd, Mode::shared, r}; }

/// A child process holding a POSIX lock on path until it is killed.
struct PosixHolder {
    pid_t pid = -1;
    PosixHolder(const std::string& path, Mode mode) {
        int p[2];
        REQUIRE(pipe(p) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int fd = open(path.c_str(), O_RDWR);
            char ok = try_lock(fd, {Owner::posix, mode, {}}) == 0 ? 'y' : 'n';
            if (write(p[1], &ok, 1) != 1)
                _exit(1);
            pause();
            _exit(0);
        }
        close(p[1]);
        char ok = 0;
        REQUIRE(read(p[0], &ok, 1) == 1);
        close(p[0]);
        REQUIRE(ok == 'y');
    }
    ~PosixHolder() {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
};

} // namespace

TEST_CASE("parse_range takes START:LEN with binary suffixes") {
    CHECK(parse_range("0:0") == Range{0, 0});
    CHECK(parse_range("10:5") == Range{10, 5});
    CHECK(parse_range("1K:4KiB") == Range{1024, 4096});
    CHECK(parse_range("4k:1m") == Range{4096, 1 << 20});
    CHECK(parse_range("1G:0") == Range{1ll << 30, 0});
    CHECK(parse_range("9223372036854775807:1") == Range{INT64_MAX, 1});
    CHECK(parse_range("0:9223372036854775807") == Range{0, INT64_MAX});
    CHECK(parse_range("1:9223372036854775807") == Range{1, INT64_MAX});
    CHECK(parse_range("7E:0") == Range{7ll << 60, 0});
}

TEST_CASE("parse_range refuses what is not START:LEN or ends past the largest offset") {
    for (const char* bad : {"", "5", ":5", "5:", "-1:5", "1:-1", "a:b", "1:2:3", " 1:1", "1:1 ", "1Z:1", "1KB:1",
                            "1Ki:1", "0x10:1", "+1:1", "9223372036854775807:2", "2:9223372036854775807",
                            "9223372036854775808:0", "8E:0", "99999999999999999999:1"}) {
        std::string text = bad, why;
        CAPTURE(text);
        CHECK_FALSE(parse_range(bad, &why));
        CHECK_FALSE(why.empty());
    }
}

TEST_CASE("overlaps treats length 0 as reaching the end of the file") {
    CHECK(overlaps({0, 0}, {1000000, 1}));
    CHECK(overlaps({0, 10}, {9, 1}));
    CHECK_FALSE(overlaps({0, 10}, {10, 1}));
    CHECK(overlaps({100, 0}, {50, 51}));
    CHECK_FALSE(overlaps({100, 0}, {50, 50}));
    CHECK(overlaps({INT64_MAX, 1}, {0, 0}));
}

TEST_CASE("OFD locks of two open files conflict, even in one process") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd a(open((t / "f").c_str(), O_RDWR)), b(open((t / "f").c_str(), O_RDWR));
    REQUIRE(try_lock(a.get(), exclusive()) == 0);
    CHECK(try_lock(b.get(), exclusive()) == EAGAIN);
    CHECK(try_lock(b.get(), shared()) == EAGAIN);
    // The same open file takes its own lock again, or changes its mode.
    CHECK(try_lock(a.get(), shared()) == 0);
    CHECK(try_lock(b.get(), shared()) == 0);
    CHECK(try_lock(a.get(), exclusive()) == EAGAIN);
    REQUIRE(unlock(b.get(), Owner::ofd, {}) == 0);
    CHECK(try_lock(a.get(), exclusive()) == 0);

    SUBCASE("disjoint ranges do not conflict") {
        REQUIRE(unlock(a.get(), Owner::ofd, {}) == 0);
        REQUIRE(try_lock(a.get(), exclusive({0, 10})) == 0);
        CHECK(try_lock(b.get(), exclusive({10, 0})) == 0);
        CHECK(try_lock(b.get(), exclusive({9, 1})) == EAGAIN);
    }
    SUBCASE("closing the descriptor releases the lock") {
        a.reset();
        CHECK(try_lock(b.get(), exclusive()) == 0);
    }
}

TEST_CASE("a lock needs the file open for its mode") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd ro(open((t / "f").c_str(), O_RDONLY)), wo(open((t / "f").c_str(), O_WRONLY));
    CHECK(try_lock(ro.get(), exclusive()) == EBADF);
    CHECK(try_lock(wo.get(), shared()) == EBADF);
    CHECK(try_lock(ro.get(), shared()) == 0);
    CHECK(unlock(ro.get(), Owner::ofd, {}) == 0);
    CHECK(try_lock(wo.get(), exclusive()) == 0);
}

TEST_CASE("find_conflict describes the lock in the way") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd a(open((t / "f").c_str(), O_RDWR)), b(open((t / "f").c_str(), O_RDWR));
    std::optional<Conflict> c;
    REQUIRE(find_conflict(b.get(), exclusive(), &c) == 0);
    CHECK_FALSE(c);
    REQUIRE(try_lock(a.get(), shared({100, 50})) == 0);
    REQUIRE(find_conflict(b.get(), exclusive(), &c) == 0);
    REQUIRE(c);
    CHECK(c->mode == Mode::shared);
    CHECK(c->range == Range{100, 50});
    CHECK(c->pid == -1); // an OFD lock belongs to no process
    REQUIRE(find_conflict(b.get(), shared(), &c) == 0);
    CHECK_FALSE(c);
}

TEST_CASE("lock_for gives up after its time, and leaves SIGRTMAX as it was") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd a(open((t / "f").c_str(), O_RDWR)), b(open((t / "f").c_str(), O_RDWR));
    REQUIRE(try_lock(a.get(), exclusive()) == 0);
    for (double wait : {0.2, 0.05}) {
        auto t0 = std::chrono::steady_clock::now();
        CHECK(lock_for(b.get(), exclusive(), wait) == ETIMEDOUT);
        double took = seconds_since(t0);
        CHECK(took >= wait);
        CHECK(took < wait + 0.3);
    }
    struct sigaction sa;
    REQUIRE(sigaction(SIGRTMAX, nullptr, &sa) == 0);
    bool is_default = sa.sa_handler == SIG_DFL;
    CHECK(is_default);
    CHECK(lock_for(b.get(), exclusive(), 0) == EAGAIN);
}

TEST_CASE("lock_for and lock get the lock as soon as it is released") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd a(open((t / "f").c_str(), O_RDWR)), b(open((t / "f").c_str(), O_RDWR));
    REQUIRE(try_lock(a.get(), exclusive()) == 0);
    auto t0 = std::chrono::steady_clock::now();
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        unlock(a.get(), Owner::ofd, {});
    });
    CHECK(lock_for(b.get(), exclusive(), 30) == 0);
    release.join();
    double took = seconds_since(t0);
    CHECK(took >= 0.1);
    CHECK(took < 5);
    CHECK(try_lock(a.get(), shared()) == EAGAIN);

    std::thread release2([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        unlock(b.get(), Owner::ofd, {});
    });
    CHECK(syskit::lock::lock(a.get(), exclusive()) == 0);
    release2.join();
}

TEST_CASE("POSIX locks belong to the process: F_GETLK names it, and they conflict with OFD locks") {
    TempDir t;
    t.write("f", "");
    std::string path = t / "f";
    fs::UniqueFd fd(open(path.c_str(), O_RDWR));
    std::optional<Conflict> c;
    {
        PosixHolder holder(path, Mode::exclusive);
        CHECK(try_lock(fd.get(), {Owner::posix, Mode::shared, {}}) == EAGAIN);
        CHECK(try_lock(fd.get(), shared()) == EAGAIN);
        REQUIRE(find_conflict(fd.get(), {Owner::posix, Mode::shared, {}}, &c) == 0);
        REQUIRE(c);
        CHECK(c->pid == holder.pid);
        CHECK(c->mode == Mode::exclusive);
        auto t0 = std::chrono::steady_clock::now();
        CHECK(lock_for(fd.get(), {Owner::posix, Mode::exclusive, {}}, 0.1) == ETIMEDOUT);
        CHECK(seconds_since(t0) < 0.5);
    }
    // Killed, the holder's locks are gone.
    CHECK(try_lock(fd.get(), {Owner::posix, Mode::exclusive, {}}) == 0);
}

TEST_CASE("a POSIX lock goes when its process closes any descriptor of the file") {
    TempDir t;
    t.write("f", "");
    std::string path = t / "f";
    fs::UniqueFd fd(open(path.c_str(), O_RDWR));
    REQUIRE(try_lock(fd.get(), {Owner::posix, Mode::exclusive, {}}) == 0);
    fs::UniqueFd other(open(path.c_str(), O_RDONLY));
    other.reset();
    // Another process can take it now: the close above released it.
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int f = open(path.c_str(), O_RDWR);
        _exit(try_lock(f, {Owner::posix, Mode::exclusive, {}}) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("command_name names the fcntl command") {
    CHECK(std::string(command_name(Owner::ofd, true)) == "F_OFD_SETLKW");
    CHECK(std::string(command_name(Owner::ofd, false)) == "F_OFD_SETLK");
    CHECK(std::string(command_name(Owner::posix, true)) == "F_SETLKW");
    CHECK(std::string(command_name(Owner::posix, false)) == "F_SETLK");
}

TEST_CASE("parse_lock_line reads the lines of /proc/locks") {
    auto l = parse_lock_line("1: POSIX  ADVISORY  WRITE 4113 fe:00:1835020 0 EOF\n");
    REQUIRE(l);
    CHECK(l->ordinal == 1);
    CHECK_FALSE(l->waiting);
    CHECK(l->type == "POSIX");
    CHECK(l->state == "ADVISORY");
    CHECK(l->mode == "WRITE");
    CHECK(l->pid == 4113);
    CHECK(l->has_inode);
    CHECK(l->dev_major == 0xfe);
    CHECK(l->dev_minor == 0);
    CHECK(l->inode == 1835020);
    CHECK(l->start == 0);
    CHECK_FALSE(l->end);

    l = parse_lock_line("22: OFDLCK ADVISORY  READ  -1 103:1a:77 100 199");
    REQUIRE(l);
    CHECK(l->type == "OFDLCK");
    CHECK(l->pid == -1);
    CHECK(l->dev_major == 0x103);
    CHECK(l->dev_minor == 0x1a);
    CHECK(l->start == 100);
    CHECK(l->end == 199);

    l = parse_lock_line("2: -> OFDLCK ADVISORY  WRITE -1 fe:00:1835021 0 EOF");
    REQUIRE(l);
    CHECK(l->waiting);
    CHECK(l->ordinal == 2);
    // Deeper waiters are indented further (Linux 5.x).
    l = parse_lock_line("2:   -> POSIX  ADVISORY  WRITE 77 fe:00:1835021 0 EOF");
    REQUIRE(l);
    CHECK(l->waiting);
    CHECK(l->pid == 77);

    l = parse_lock_line("5: LEASE  BREAKING  UNLCK 300 00:2c:12 0 EOF");
    REQUIRE(l);
    CHECK(l->type == "LEASE");
    CHECK(l->state == "BREAKING");
    l = parse_lock_line("6: POSIX  *NOINODE* WRITE 12 <none>:0 0 EOF");
    REQUIRE(l);
    CHECK_FALSE(l->has_inode);
    l = parse_lock_line("7: FLOCK  MANDATORY READ 9 08:01:5 0 EOF");
    REQUIRE(l);
    CHECK(l->state == "MANDATORY");
}

TEST_CASE("parse_lock_line refuses lines of another shape") {
    for (const char* bad : {"", "1:", "POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "x: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF",
                            "-1: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF", "1 POSIX ADVISORY WRITE 1 fe:00:1 0 EOF",
                            "1: POSIX ADVISORY WRITE 1 fe:00:1 0", "1: POSIX ADVISORY WRITE 1 fe:00:1 0 EOF extra",
                            "1: POSIX ADVISORY WRITE -2 fe:00:1 0 EOF", "1: POSIX ADVISORY WRITE 1 fe:00 0 EOF",
                            "1: POSIX ADVISORY WRITE 1 fe:-1:1 0 EOF", "1: POSIX ADVISORY WRITE 1 fe:00:x 0 EOF",
                            "1: POSIX ADVISORY WRITE 1 fe:00:1 10 5", "1: POSIX ADVISORY WRITE 1 fe:00:1 -1 EOF",
                            "1: posix ADVISORY WRITE 1 fe:00:1 0 EOF", "1: -> -> POSIX ADVISORY WRITE 1 fe:00:1 0 EOF",
                            "1: POSIX ADVISORY WRITE 99999999999 fe:00:1 0 EOF",
                            "1: POSIX ADVISORY WRITE 1 fffffffff:00:1 0 EOF"}) {
        std::string text = bad;
        CAPTURE(text);
        CHECK_FALSE(parse_lock_line(bad));
    }
}

TEST_CASE("parse_fdinfo_locks takes the lock: lines of an fdinfo file") {
    auto locks = parse_fdinfo_locks("pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t10977954\n"
                                    "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:10977954 10 14\n"
                                    "lock:\tgarbage\n"
                                    "lock:\t2: OFDLCK ADVISORY  READ -1 fe:00:10977954 20 EOF");
    REQUIRE(locks.size() == 2);
    CHECK(locks[0].end == 14);
    CHECK(locks[1].mode == "READ");
    CHECK(parse_fdinfo_locks("pos:\t0\n").empty());
    auto proc = parse_proc_locks("1: FLOCK  ADVISORY  WRITE 20680 fe:00:10977986 0 EOF\nnonsense\n"
                                 "2: POSIX  ADVISORY  READ 20680 fe:00:10977971 0 EOF\n");
    REQUIRE(proc.size() == 2);
    CHECK(proc[1].type == "POSIX");
}

TEST_CASE("list_holdings finds this process holding an OFD lock through fdinfo") {
    TempDir t;
    t.write("f", "");
    fs::UniqueFd a(open((t / "f").c_str(), O_RDWR));
    REQUIRE(try_lock(a.get(), exclusive({5, 10})) == 0);
    FileKey key;
    REQUIRE(file_key(a.get(), &key) == 0);
    FileKey by_path;
    REQUIRE(file_key((t / "f").c_str(), &by_path) == 0);
    CHECK(key == by_path);
    std::vector<Holding> hs;
    REQUIRE(list_holdings({key, false}, &hs) == 0);
    REQUIRE(hs.size() == 1);
    CHECK(hs[0].pid == getpid());
    CHECK(hs[0].fd == a.get());
    CHECK(hs[0].lock.type == "OFDLCK");
    CHECK(hs[0].lock.mode == "WRITE");
    CHECK(hs[0].lock.start == 5);
    CHECK(hs[0].lock.end == 14);
    CHECK(hs[0].path == t / "f");
    CHECK_FALSE(hs[0].command.empty());

    unlock(a.get(), Owner::ofd, {});
    hs.clear();
    REQUIRE(list_holdings({key, false}, &hs) == 0);
    CHECK(hs.empty());
}

TEST_CASE("list_holdings matches /proc/locks with the fdinfo of every process") {
    TempDir t;
    // A /proc of three processes: 10 and 11 share an open file with a shared OFD lock,
    // 12 holds the same lock through another open file; 20's POSIX lock is not in any
    // fdinfo that can be read; 30 waits.
    const char* ofd = "OFDLCK ADVISORY  READ -1 fe:01:99 0 EOF\n";
    t.write("proc/locks", std::string("1: ") + ofd + "2: " + ofd + "2: -> POSIX  ADVISORY  WRITE 30 fe:01:99 0 EOF\n" +
                              "3: POSIX  ADVISORY  WRITE 20 fe:01:500 0 9\n" +
                              "4: FLOCK  ADVISORY  WRITE 11 fe:01:600 0 EOF\n");
    for (const char* pid : {"10", "11", "12"}) {
        t.write(std::string("proc/") + pid + "/comm", std::string("cmd") + pid + "\n");
        t.write(std::string("proc/") + pid + "/fdinfo/3", std::string("pos:\t0\nlock:\t1: ") + ofd);
        t.write(std::string("proc/") + pid + "/fdinfo/0", "pos:\t0\n");
        t.mkdir(std::string("proc/") + pid + "/fd");
        REQUIRE(symlink("/run/lock/job", (t / (std::string("proc/") + pid + "/fd/3")).c_str()) == 0);
    }
    t.write("proc/11/fdinfo/7", "lock:\t1: FLOCK  ADVISORY  WRITE 11 fe:01:600 0 EOF\n");
    t.write("proc/20/comm", "posix-holder\n");
    t.write("proc/30/comm", "waiter\n");

    std::vector<Holding> hs;
    REQUIRE(list_holdings({std::nullopt, true}, &hs, t / "proc") == 0);
    std::vector<std::pair<pid_t, std::string>> got;
    for (const auto& h : hs)
        got.emplace_back(h.pid, h.lock.type + (h.lock.waiting ? "*" : ""));
    std::vector<std::pair<pid_t, std::string>> want{
        {10, "OFDLCK"}, {11, "OFDLCK"}, {12, "OFDLCK"}, {30, "POSIX*"}, {20, "POSIX"}, {11, "FLOCK"}};
    CHECK(got == want);
    CHECK(hs[0].command == "cmd10");
    CHECK(hs[0].fd == 3);
    CHECK(hs[0].path == "/run/lock/job");
    CHECK(hs[4].command == "posix-holder");
    CHECK(hs[4].fd == -1);
    CHECK(hs[4].path.empty());
    CHECK(hs[5].fd == 7);
    // A waiting request is in no fdinfo: its file's path is that of a holder's descriptor.
    CHECK(hs[3].command == "waiter");
    CHECK(hs[3].fd == -1);
    CHECK(hs[3].path == "/run/lock/job");


    hs.clear();
    REQUIRE(list_holdings({FileKey{0xfe, 1, 500}, false}, &hs, t / "proc") == 0);
    REQUIRE(hs.size() == 1);
    CHECK(hs[0].pid == 20);
    CHECK(hs[0].lock.end == 9);

    hs.clear();
    CHECK(list_holdings({}, &hs, t / "no-such-proc") == ENOENT);

    // An OFD request waiting behind a lock whose holder cannot be seen: its file is found by
    // its device and inode among the descriptors of every process (here 40's fd 4).
    t.write("real-lock", "");
    struct stat st;
    REQUIRE(stat((t / "real-lock").c_str(), &st) == 0);
    std::string key = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
    t.write("proc/locks", "1: OFDLCK ADVISORY  WRITE -1 " + key + " 0 EOF\n1: -> OFDLCK ADVISORY  WRITE -1 " + key +
                              " 0 EOF\n");
    t.mkdir("proc/40/fd");
    REQUIRE(symlink((t / "real-lock").c_str(), (t / "proc/40/fd/4").c_str()) == 0);
    hs.clear();
    REQUIRE(list_holdings({std::nullopt, true}, &hs, t / "proc") == 0);
    REQUIRE(hs.size() == 2);
    CHECK((hs[0].lock.waiting == false && hs[0].path.empty()));
    CHECK((hs[1].lock.waiting && hs[1].pid == -1 && hs[1].fd == -1));
    CHECK(hs[1].path == t / "real-lock");
}

#include "loop/loop.hpp"
#include "loop/poll.hpp"
#include "loop/process.hpp"

#include "tmpdir.hpp"
#include "elapsed.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

using namespace syskit::loop;

namespace {

/// Runs the loop, but never longer than limit seconds: a broken test fails instead of hanging.
bool run_at_most(Loop& loop, double limit) {
    bool expired = false;
    Timer guard(loop, [&] {
        expired = true;
        loop.stop();
    });
    guard.start(limit);
    loop.run();
    return !expired;
}

bool process_exists(pid_t pid) { return kill(pid, 0) == 0; }

/// Waits up to limit seconds for pid to be gone (or a zombie nobody reaps yet).
bool gone_within(pid_t pid, double limit) {
    auto t0 = std::chrono::steady_clock::now();
    while (seconds_since(t0) < limit) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            return true;
        auto paren = line.rfind(')');
        if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z')
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

int run_status(const std::vector<std::string>& argv) {
    Loop loop;
    Process p(loop);
    int status = -1;
    REQUIRE(p.spawn({argv, false}, [&](int st) {
        status = st;
        loop.stop();
    }) == 0);
    REQUIRE(run_at_most(loop, 20));
    CHECK_FALSE(p.running());
    return status;
}

} // namespace

TEST_CASE("shell_status gives 128 + N for a signal, as shells do") {
    CHECK(shell_status(0, 0) == 0);
    CHECK(shell_status(3, 0) == 3);
    CHECK(shell_status(0, SIGTERM) == 143);
    CHECK(shell_status(0, SIGKILL) == 137);
}

TEST_CASE("a timer fires once, or again and again until stopped") {
    Loop loop;
    int fired = 0;
    Timer once(loop, [&] {
        ++fired;
        loop.stop();
    });
    once.start(0.01);
    CHECK(once.active());
    REQUIRE(run_at_most(loop, 5));
    CHECK(fired == 1);
    CHECK_FALSE(once.active());

    int ticks = 0;
    std::optional<Timer> repeat;
    repeat.emplace(loop, [&] {
        if (++ticks == 3) {
            repeat->stop();
            loop.stop();
        }
    });
    repeat->start(0, 0.005);
    REQUIRE(run_at_most(loop, 5));
    CHECK(ticks == 3);
}

TEST_CASE("a destroyed timer never fires") {
    Loop loop;
    bool fired = false;
    {
        Timer t(loop, [&] { fired = true; });
        t.start(0);
    }
    Timer later(loop, [&] { loop.stop(); });
    later.start(0.02);
    REQUIRE(run_at_most(loop, 5));
    CHECK_FALSE(fired);
}

TEST_CASE("a signal handler runs on the loop, and the old disposition comes back") {
    struct sigaction before;
    sigaction(SIGUSR1, nullptr, &before);
    {
        Loop loop;
        int got = 0;
        Signal s(loop, SIGUSR1, [&](int sig) {
            got = sig;
            loop.stop();
        });
        raise(SIGUSR1);
        REQUIRE(run_at_most(loop, 5));
        CHECK(got == SIGUSR1);
    }
    struct sigaction after;
    sigaction(SIGUSR1, nullptr, &after);
    bool restored = after.sa_handler == before.sa_handler;
    CHECK(restored);
}

TEST_CASE("a child's exit status comes back as a shell reports it") {
    CHECK(run_status({"true"}) == 0);
    CHECK(run_status({"sh", "-c", "exit 3"}) == 3);
    CHECK(run_status({"sh", "-c", "kill -TERM $$"}) == 128 + SIGTERM);
}

TEST_CASE("a command that cannot be run is reported by spawn") {
    Loop loop;
    Process p(loop);
    bool called = false;
    CHECK(p.spawn({{"/nonexistent/command"}, false}, [&](int) { called = true; }) == UV_ENOENT);
    CHECK_FALSE(p.running());
    Process q(loop);
    CHECK(q.spawn({{"/"}, false}, [&](int) { called = true; }) == UV_EACCES);
    CHECK_FALSE(called);
}

TEST_CASE("new_session puts the child in a process group of its own") {
    Loop loop;
    Process p(loop);
    int status = -1;
    REQUIRE(p.spawn({{"sh", "-c", "test \"$(ps -o pgid= -p $$ | tr -d ' ')\" = $$"}, true}, [&](int st) {
        status = st;
        loop.stop();
    }) == 0);
    CHECK(getpgid(p.pid()) == p.pid());
    REQUIRE(run_at_most(loop, 20));
    CHECK(status == 0);
    CHECK(p.kill_group(0) == ESRCH);
    CHECK_FALSE(p.group_alive());
}

TEST_CASE("terminate ends the whole group: SIGTERM, then SIGKILL for what ignores it") {
    TempDir t;
    Loop loop;
    Process p(loop);
    int status = -1;
    // The grandchild ignores SIGTERM; the shell waits for it.
    std::string script = "trap '' TERM; sleep 60 & echo $! > " + (t / "pid.tmp") + "; mv " + (t / "pid.tmp") + " " +
                         (t / "pid") + "; wait";
    REQUIRE(p.spawn({{"sh", "-c", script}, true}, [&](int st) { status = st; }) == 0);
    auto t0 = std::chrono::steady_clock::now();
    while (!std::ifstream(t / "pid").good() && seconds_since(t0) < 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid_t grandchild = 0;
    std::ifstream(t / "pid") >> grandchild;
    REQUIRE(grandchild > 0);
    REQUIRE(process_exists(grandchild));

    auto asked = std::chrono::steady_clock::now();
    p.terminate(0.2);
    Timer check(loop, [&] {
        if (!p.running() && !p.group_alive())
            loop.stop();
    });
    check.start(0, 0.01);
    REQUIRE(run_at_most(loop, 10));
    CHECK(p.killed());
    CHECK(status == 128 + SIGKILL);
    CHECK(gone_within(grandchild, 5));
    CHECK(seconds_since(asked) >= 0.2);
}

TEST_CASE("without new_session, kill_group reaches the child alone") {
    Loop loop;
    Process p(loop);
    int status = -1;
    REQUIRE(p.spawn({{"sleep", "60"}, false}, [&](int st) {
        status = st;
        loop.stop();
    }) == 0);
    CHECK(getpgid(p.pid()) == getpgid(0));
    CHECK(p.kill_group(SIGTERM) == 0);
    REQUIRE(run_at_most(loop, 10));
    CHECK(status == 128 + SIGTERM);
    CHECK(p.kill(SIGTERM) == ESRCH);
}

TEST_CASE("a poll runs its callback while the descriptor has something to read") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    Loop loop;
    std::string got;
    {
        Poll poll(loop, p[0], [&] {
            char buf[16];
            ssize_t n = read(p[0], buf, sizeof buf);
            if (n > 0)
                got.append(buf, static_cast<std::size_t>(n));
            if (got == "ab")
                loop.stop();
        });
        REQUIRE(write(p[1], "a", 1) == 1);
        Timer later(loop, [&] { REQUIRE(write(p[1], "b", 1) == 1); });
        later.start(0.01);
        REQUIRE(run_at_most(loop, 5));
    }
    CHECK(got == "ab");
    close(p[0]);
    close(p[1]);
}

// svc: sd_notify's datagram, checked on a real Unix datagram socket, and sd_listen_fds's
// variables, good and bad.
#include "svc/svc.hpp"

#include "fs/fd.hpp"
#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace syskit::svc_test {

/// A datagram socket bound to name (a path, or '@' and an abstract name), as a service
/// manager's notify socket.
fs::UniqueFd bound_socket(const std::string& name) {
    fs::UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
        addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    return s;
}

std::string receive(int fd) {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    REQUIRE(n >= 0);
    return {buf, static_cast<std::size_t>(n)};
}

/// The listen variables set for one test, and every one of them unset after it.
struct ListenEnv {
    ListenEnv(const char* pid, const char* fds) {
        if (pid)
            ::setenv("LISTEN_PID", pid, 1);
        if (fds)
            ::setenv("LISTEN_FDS", fds, 1);
        ::setenv("LISTEN_FDNAMES", "fifo", 1);
    }
    ~ListenEnv() {
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_FDNAMES");
    }
};

bool listen_unset() {
    return !std::getenv("LISTEN_PID") && !std::getenv("LISTEN_FDS") && !std::getenv("LISTEN_FDNAMES");
}

} // namespace syskit::svc_test

using syskit::svc_test::bound_socket;
using syskit::svc_test::ListenEnv;
using syskit::svc_test::listen_unset;
using syskit::svc_test::receive;

TEST_CASE("svc: notify sends the state as one datagram to the socket $NOTIFY_SOCKET names") {
    TempDir dir;
    std::string path = dir / "notify";
    auto sock = bound_socket(path);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    CHECK(syskit::svc::notify("READY=1") == 0);
    CHECK(receive(sock.get()) == "READY=1");
    CHECK(syskit::svc::notify("READY=1\nSTATUS=serving\nMAINPID=42") == 0);
    CHECK(receive(sock.get()) == "READY=1\nSTATUS=serving\nMAINPID=42");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("svc: notify reaches an abstract socket named with '@'") {
    std::string name = "@syskit-unit-notify-" + std::to_string(::getpid());
    auto sock = bound_socket(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    CHECK(syskit::svc::notify("STOPPING=1") == 0);
    CHECK(receive(sock.get()) == "STOPPING=1");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("svc: notify without $NOTIFY_SOCKET does nothing; a bad address is an error") {
    ::unsetenv("NOTIFY_SOCKET");
    CHECK(syskit::svc::notify("READY=1") == 0);
    ::setenv("NOTIFY_SOCKET", "", 1);
    CHECK(syskit::svc::notify("READY=1") == 0);
    ::setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    CHECK(syskit::svc::notify("READY=1") == EAFNOSUPPORT);
    ::setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
    CHECK(syskit::svc::notify("READY=1") == ENAMETOOLONG);
    TempDir dir;
    ::setenv("NOTIFY_SOCKET", (dir / "nobody-listens").c_str(), 1);
    CHECK(syskit::svc::notify("READY=1") == ENOENT);
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("svc: listen_fds takes the descriptors passed to this process and makes them close-on-exec") {
    // Descriptor 3 made a pipe's read end without FD_CLOEXEC, whatever it was before.
    int ends[2];
    REQUIRE(::pipe(ends) == 0);
    syskit::fs::UniqueFd r(ends[0]), w(ends[1]);
    syskit::fs::UniqueFd saved(::fcntl(3, F_DUPFD_CLOEXEC, 10));
    REQUIRE(::dup2(r.get(), 3) == 3);
    syskit::fs::UniqueFd three(3);
    std::string pid = std::to_string(::getpid()), error;
    int n = -1;
    {
        ListenEnv env(pid.c_str(), "1");
        CHECK(syskit::svc::listen_fds(n, error));
        CHECK(n == 1);
        CHECK((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0);
        CHECK(listen_unset());
    }
    // Descriptor 3 as it was: closed by three, or the saved one put back.
    if (saved) {
        three.release();
        ::dup2(saved.get(), 3);
    }
}

TEST_CASE("svc: listen_fds passes over variables meant for another process or absent") {
    std::string error;
    int n = -1;
    CHECK(syskit::svc::listen_fds(n, error));
    CHECK(n == 0);
    {
        ListenEnv env(std::to_string(::getpid() + 1).c_str(), "1");
        CHECK(syskit::svc::listen_fds(n, error));
        CHECK(n == 0);
        CHECK(listen_unset());
    }
    {
        ListenEnv env(nullptr, "1");
        CHECK(syskit::svc::listen_fds(n, error));
        CHECK(n == 0);
        CHECK(listen_unset());
    }
}

TEST_CASE("svc: listen_fds refuses values that are not numbers, and descriptors that are not open") {
    std::string pid = std::to_string(::getpid()), error;
    int n = -1;
    for (const char* bad : {"", "abc", "-1", "+1", " 1", "1x", "99999999999"}) {
        CAPTURE(bad);
        ListenEnv env(pid.c_str(), bad);
        CHECK(!syskit::svc::listen_fds(n, error));
        CHECK(error == std::string("LISTEN_FDS: '") + bad + "' is not a number of descriptors");
        CHECK(n == 0);
        CHECK(listen_unset());
    }
    for (const char* bad : {"", "0", "x1", "-5"}) {
        CAPTURE(bad);
        ListenEnv env(bad, "1");
        CHECK(!syskit::svc::listen_fds(n, error));
        CHECK(error == std::string("LISTEN_PID: '") + bad + "' is not a process id");
        CHECK(listen_unset());
    }
    {
        // Descriptors 3 to 1002 are not all open in a test process.
        ListenEnv env(pid.c_str(), "1000");
        CHECK(!syskit::svc::listen_fds(n, error));
        CHECK(error.find("Bad file descriptor") != std::string::npos);
        CHECK(error.rfind("LISTEN_FDS: fcntl(descriptor ", 0) == 0);
        CHECK(n == 0);
    }
}

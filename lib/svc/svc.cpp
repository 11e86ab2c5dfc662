#include "svc.hpp"

#include "fs/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace syskit::svc {

int notify(std::string_view state) {
    const char* name = std::getenv("NOTIFY_SOCKET");
    if (name == nullptr || *name == '\0')
        return 0;
    std::string_view path(name);
    if (path[0] != '/' && path[0] != '@')
        return EAFNOSUPPORT;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() > sizeof addr.sun_path)
        return ENAMETOOLONG;
    std::memcpy(addr.sun_path, path.data(), path.size());
    // An abstract name starts with a NUL in place of the '@', and its length is the address's:
    // no NUL ends it.
    if (path[0] == '@')
        addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    fs::UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock)
        return errno;
    // MSG_NOSIGNAL: a manager gone away is an error returned, not a SIGPIPE.
    if (::sendto(sock.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len) < 0)
        return errno;
    return 0;
}

namespace {

/// The decimal number text is, when it is all digits and at most max; else nothing.
bool parse_count(const char* text, long long max, long long& value) {
    const char* end = text + std::strlen(text);
    auto [p, ec] = std::from_chars(text, end, value);
    return ec == std::errc{} && p == end && p != text && value >= 0 && value <= max;
}

} // namespace

bool listen_fds(int& count, std::string& error) {
    count = 0;
    const char* pid_text = std::getenv("LISTEN_PID");
    const char* fds_text = std::getenv("LISTEN_FDS");
    // Copies: unsetenv frees the strings getenv returned.
    const bool has_pid = pid_text != nullptr, has_fds = fds_text != nullptr;
    std::string pid_s = has_pid ? pid_text : "", fds_s = has_fds ? fds_text : "";
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    if (!has_pid)
        return true;
    long long pid = 0, n = 0;
    if (!parse_count(pid_s.c_str(), INT_MAX, pid) || pid == 0) {
        error = fmt::format("LISTEN_PID: '{}' is not a process id", pid_s);
        return false;
    }
    // The descriptors were meant for another process (the variables were inherited).
    if (pid != ::getpid())
        return true;
    if (!has_fds)
        return true;
    if (!parse_count(fds_s.c_str(), INT_MAX - listen_fds_start, n)) {
        error = fmt::format("LISTEN_FDS: '{}' is not a number of descriptors", fds_s);
        return false;
    }
    for (int fd = listen_fds_start; fd < listen_fds_start + n; fd++) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
            error = fmt::format("LISTEN_FDS: fcntl(descriptor {}): {}", fd, std::strerror(errno));
            return false;
        }
    }
    count = static_cast<int>(n);
    return true;
}

} // namespace syskit::svc

#include "script.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace syskit::logroll {

namespace {

double monotonic() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Logs each whole line of buf and keeps the unfinished rest; at_end logs the rest too.
void log_lines(std::string& buf, bool at_end, std::string_view what, const std::string& arg, log::Logger& log) {
    std::size_t start = 0, nl;
    while ((nl = buf.find('\n', start)) != std::string::npos) {
        log.info("script output", {{"script", what}, {"arg", arg}, {"line", std::string_view(buf).substr(start, nl - start)}});
        start = nl + 1;
    }
    buf.erase(0, start);
    if (at_end && !buf.empty()) {
        log.info("script output", {{"script", what}, {"arg", arg}, {"line", buf}});
        buf.clear();
    }
}

} // namespace

bool run_script(std::string_view what, const std::string& text, const std::string& arg, double timeout,
                log::Logger& log, std::string& error) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        error = fmt::format("pipe2: {}", std::strerror(errno));
        return false;
    }
    fs::UniqueFd rd(fds[0]), wr(fds[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const char* argv[] = {"/bin/sh", "-c", text.c_str(), "logroll", arg.c_str(), nullptr};
    pid_t pid = 0;
    int err = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    wr.reset();
    if (err) {
        error = fmt::format("posix_spawn(/bin/sh): {}", std::strerror(err));
        return false;
    }
    // The script's end is seen through a pidfd, not the pipe's end of file: a daemon the
    // script starts may keep its output open for as long as it runs.
    fs::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    const double deadline = monotonic() + timeout;
    std::string buf;
    char chunk[4096];
    bool exited = false, timed_out = false, pipe_open = true;
    while (!exited) {
        double left = deadline - monotonic();
        if (left <= 0) {
            timed_out = true;
            ::kill(-pid, SIGKILL);
            break;
        }
        pollfd p[2] = {{rd.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        int wait_ms = pidfd ? static_cast<int>(left * 1000) + 1 : std::min(100, static_cast<int>(left * 1000) + 1);
        int n = ::poll(pipe_open ? p : p + 1, pipe_open ? 2 : 1, wait_ms);
        if (n < 0 && errno != EINTR) {
            error = fmt::format("poll: {}", std::strerror(errno));
            ::kill(-pid, SIGKILL);
            break;
        }
        if (pipe_open && (p[0].revents & (POLLIN | POLLHUP))) {
            ssize_t got = ::read(rd.get(), chunk, sizeof chunk);
            if (got > 0) {
                buf.append(chunk, static_cast<std::size_t>(got));
                log_lines(buf, false, what, arg, log);
            } else if (got == 0) {
                pipe_open = false;
            }
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            // What it wrote before it ended, still in the pipe.
            ::fcntl(rd.get(), F_SETFL, O_NONBLOCK);
            ssize_t got;
            while (pipe_open && (got = ::read(rd.get(), chunk, sizeof chunk)) > 0)
                buf.append(chunk, static_cast<std::size_t>(got));
            log_lines(buf, true, what, arg, log);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return true;
            error = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("killed by signal {}", WTERMSIG(status));
            return false;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    log_lines(buf, true, what, arg, log);
    if (timed_out)
        error = fmt::format("still running after {} s: killed", timeout);
    return false;
}

} // namespace syskit::logroll

#include "script.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
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
                const std::optional<Credentials>& as, log::Logger& log, std::string& error) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        error = fmt::format("pipe2: {}", std::strerror(errno));
        return false;
    }
    fs::UniqueFd rd(fds[0]), wr(fds[1]);
    // The child's report of the call that failed before execve; execve closes it unwritten.
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        error = fmt::format("pipe2: {}", std::strerror(errno));
        return false;
    }
    fs::UniqueFd report_rd(fds[0]), report_wr(fds[1]);
    fs::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) {
        error = fmt::format("open(/dev/null): {}", std::strerror(errno));
        return false;
    }
    static constexpr const char* calls[] = {"setpgid", "dup2", "setgroups", "setresgid", "setresuid", "execve(/bin/sh)"};
    const char* argv[] = {"/bin/sh", "-c", text.c_str(), "logroll", arg.c_str(), nullptr};
    // fork, not posix_spawn, which cannot change the ids; the child makes only
    // async-signal-safe calls until execve, logroll having threads.
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = fmt::format("fork: {}", std::strerror(errno));
        return false;
    }
    if (pid == 0) {
        int step = 0;
        auto fail = [&] {
            int report[2] = {step, errno};
            [[maybe_unused]] auto n = ::write(report_wr.get(), report, sizeof report);
            ::_exit(127);
        };
        if (::setpgid(0, 0) != 0)
            fail();
        step = 1;
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (::dup2(devnull.get(), 0) < 0 || ::dup2(wr.get(), 1) < 0 || ::dup2(wr.get(), 2) < 0)
            fail();
        if (as) {
            step = 2;
            if (::setgroups(1, &as->gid) != 0)
                fail();
            step = 3;
            if (::setresgid(as->gid, as->gid, as->gid) != 0)
                fail();
            step = 4;
            if (::setresuid(as->uid, as->uid, as->uid) != 0)
                fail();
        }
        step = 5;
        ::execve("/bin/sh", const_cast<char**>(argv), environ);
        fail();
    }
    wr.reset();
    report_wr.reset();
    int report[2] = {0, 0};
    ssize_t got_report;
    while ((got_report = ::read(report_rd.get(), report, sizeof report)) < 0 && errno == EINTR) {
    }
    if (got_report == sizeof report) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        const char* call = report[0] >= 0 && report[0] < 6 ? calls[report[0]] : "?";
        error = fmt::format("{}: {}", call, std::strerror(report[1]));
        if (as && report[0] >= 2 && report[0] <= 4)
            error += fmt::format(" (su: user {}, group {})", as->uid, as->gid);
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

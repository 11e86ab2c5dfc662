#include "pipeline.hpp"

#include "cli/diag.hpp"
#include "fs/fd.hpp"
#include "loop/process.hpp"

#include <fmt/format.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace syskit::pipekit {

namespace {

int check_executable(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0)
        return EACCES;
    return 0;
}

/// The stage's subject in diagnostics: "stage 2 (grep)".
std::string stage_name(std::size_t i, const std::vector<std::string>& argv) {
    return fmt::format("stage {} ({})", i + 1, argv.front());
}

struct Child {
    pid_t pid = -1;
    int status = -1;
};

} // namespace

int find_program(const std::string& name, std::string& path) {
    if (name.find('/') != std::string::npos) {
        path = name;
        return check_executable(path);
    }
    const char* env = std::getenv("PATH");
    std::string dirs = env ? env : "/bin:/usr/bin";
    int found_err = ENOENT;
    std::size_t start = 0;
    for (;;) {
        auto colon = dirs.find(':', start);
        std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + '/' + name;
        int err = check_executable(candidate);
        if (err == 0) {
            path = candidate;
            return 0;
        }
        // A file that is there but cannot be run is worth saying, unless a later one can.
        if (err == EACCES || err == EISDIR)
            found_err = err;
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    return found_err;
}

int pipefail_status(const std::vector<int>& statuses) {
    int status = 0;
    for (int s : statuses)
        if (s != 0)
            status = s;
    return status;
}

int run_pipeline(const RunOptions& o) {
    std::size_t n = o.argv.size();
    std::vector<std::string> paths(n);
    for (std::size_t i = 0; i < n; ++i) {
        int err = find_program(o.argv[i].front(), paths[i]);
        if (err) {
            const char* why = err == ENOENT ? "command not found"
                            : err == EACCES ? "not an executable file (Permission denied)"
                            : err == EISDIR ? "is a directory" : std::strerror(err);
            cli::error(stage_name(i, o.argv[i]), fmt::format("cannot run {}: {}", o.argv[i].front(), why));
            return cli::exit_trouble;
        }
    }

    // The signals the loop below waits for are blocked from here on, so none is lost between
    // two waits; the children unblock them before exec.  SIGTTOU: tcsetpgrp from a process
    // that is no longer in the terminal's foreground group.
    sigset_t waited, old_mask;
    sigemptyset(&waited);
    for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGTTOU})
        sigaddset(&waited, s);
    ::sigprocmask(SIG_BLOCK, &waited, &old_mask);

    // The group gets the terminal when pipekit runs in its foreground, as a shell's job does,
    // so that the stages can read it and ^C reaches them.
    bool give_terminal = ::isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();

    std::vector<Child> children(n);
    std::vector<std::vector<char*>> argvs(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (auto& w : o.argv[i])
            argvs[i].push_back(const_cast<char*>(w.c_str()));
        argvs[i].push_back(nullptr);
    }
    pid_t pgid = 0;
    fs::UniqueFd prev_read; // the read end of the pipe from the stage before
    std::string failure;
    for (std::size_t i = 0; i < n && failure.empty(); ++i) {
        int p[2] = {-1, -1};
        if (i + 1 < n && ::pipe2(p, O_CLOEXEC) != 0) {
            failure = fmt::format("{}: pipe2: {}", stage_name(i, o.argv[i]), std::strerror(errno));
            break;
        }
        fs::UniqueFd next_read(p[0]), write_end(p[1]);
        // exec's failure comes back as an errno through this pipe, closed by a successful exec.
        int ep[2];
        if (::pipe2(ep, O_CLOEXEC) != 0) {
            failure = fmt::format("{}: pipe2: {}", stage_name(i, o.argv[i]), std::strerror(errno));
            break;
        }
        fs::UniqueFd err_read(ep[0]), err_write(ep[1]);
        pid_t pid = ::fork();
        if (pid < 0) {
            failure = fmt::format("{}: fork: {}", stage_name(i, o.argv[i]), std::strerror(errno));
            break;
        }
        if (pid == 0) {
            // The child: async-signal-safe calls only, up to exec.
            ::setpgid(0, pgid);
            if (give_terminal && pgid == 0)
                ::tcsetpgrp(STDIN_FILENO, ::getpid());
            if (prev_read)
                ::dup2(prev_read.get(), STDIN_FILENO);
            if (write_end)
                ::dup2(write_end.get(), STDOUT_FILENO);
            ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
            ::execve(paths[i].c_str(), argvs[i].data(), environ);
            int err = errno;
            ssize_t ignored = ::write(err_write.get(), &err, sizeof err);
            (void)ignored;
            ::_exit(127);
        }
        // Both sides set the group, so that it exists whichever runs first.
        if (pgid == 0) {
            pgid = pid;
            ::setpgid(pid, pid);
            if (give_terminal)
                ::tcsetpgrp(STDIN_FILENO, pgid);
        } else {
            ::setpgid(pid, pgid);
        }
        children[i].pid = pid;
        err_write.reset();
        int err = 0;
        ssize_t got;
        do
            got = ::read(err_read.get(), &err, sizeof err);
        while (got < 0 && errno == EINTR);
        if (got == static_cast<ssize_t>(sizeof err))
            failure = fmt::format("{}: cannot run {}: {}", stage_name(i, o.argv[i]), paths[i], std::strerror(err));
        prev_read = std::move(next_read);
    }
    prev_read.reset();
    if (!failure.empty() && pgid > 0)
        ::kill(-pgid, SIGTERM);

    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    bool timed_out = false, killed = false;
    std::size_t left = 0;
    for (auto& c : children)
        left += c.pid > 0;
    while (left > 0) {
        double wait_for = -1;
        if (o.timeout > 0 && failure.empty()) {
            double elapsed = std::chrono::duration<double>(clock::now() - start).count();
            double deadline = timed_out ? o.timeout + o.kill_after : o.timeout;
            wait_for = deadline - elapsed;
            if (wait_for <= 0) {
                if (!timed_out) {
                    timed_out = true;
                    ::kill(-pgid, SIGTERM);
                    ::kill(-pgid, SIGCONT);
                    continue;
                }
                if (!killed) {
                    killed = true;
                    ::kill(-pgid, SIGKILL);
                }
                wait_for = -1;
            }
        }
        int sig;
        if (wait_for < 0) {
            if (::sigwait(&waited, &sig) != 0)
                continue;
        } else {
            timespec ts{static_cast<time_t>(wait_for), static_cast<long>((wait_for - static_cast<time_t>(wait_for)) * 1e9)};
            sig = ::sigtimedwait(&waited, nullptr, &ts);
            if (sig < 0)
                continue; // EAGAIN: the deadline, looked at above; EINTR
        }
        if (sig == SIGCHLD) {
            int status;
            pid_t pid;
            while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
                for (auto& c : children)
                    if (c.pid == pid) {
                        c.status = WIFSIGNALED(status) ? loop::shell_status(0, WTERMSIG(status))
                                                       : loop::shell_status(WEXITSTATUS(status), 0);
                        --left;
                    }
        } else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            ::kill(-pgid, sig);
        }
    }
    if (give_terminal)
        ::tcsetpgrp(STDIN_FILENO, ::getpgrp());
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);

    if (!failure.empty()) {
        cli::error("", failure);
        return cli::exit_trouble;
    }
    std::vector<int> statuses;
    for (auto& c : children)
        statuses.push_back(c.status);
    if (o.status) {
        std::string line;
        for (int s : statuses)
            line += fmt::format("{}{}", line.empty() ? "" : " ", s);
        cli::note("status", line);
    }
    if (timed_out) {
        cli::error("", fmt::format("the pipeline ran out of time after {} s and was ended{}", o.timeout,
                                   killed ? " with SIGKILL" : ""));
        return 124;
    }
    return pipefail_status(statuses);
}

} // namespace syskit::pipekit

#include "run.hpp"

#include "lockfile.hpp"
#include "supervise.hpp"

#include "cli/diag.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace syskit::fdlock {

namespace {

/// Clears FD_CLOEXEC and O_NONBLOCK so the command inherits the lock descriptor as a plain
/// one, and tells it the number in FDLOCK_FD.
bool hand_down(int fd, const std::string& subject) {
    int fl = fcntl(fd, F_GETFL);
    if (fcntl(fd, F_SETFD, 0) != 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        cli::error(subject, std::string("fcntl: ") + std::strerror(errno));
        return false;
    }
    setenv("FDLOCK_FD", std::to_string(fd).c_str(), 1);
    return true;
}

/// Replaces fdlock with the command.  Returns only when that failed, with the shell's status.
int exec_command(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& s : argv)
        args.push_back(s.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    int err = errno;
    cli::error(argv[0], std::string("failed to execute: ") + std::strerror(err));
    return err == ENOENT ? exit_not_found : exit_cannot_run;
}

} // namespace

int lock_descriptor(const Options& o) {
    if (fcntl(o.fd, F_GETFD) < 0) {
        cli::error(o.operand, std::strerror(errno));
        return cli::exit_trouble;
    }
    if (o.unlock) {
        if (int err = lock::unlock(o.fd, lock::Owner::ofd, o.acquire.request.range)) {
            cli::error(o.operand, err == EBADF ? "opened with O_PATH, which cannot be locked"
                                               : std::string("fcntl(F_OFD_SETLK): ") + std::strerror(err));
            return cli::exit_trouble;
        }
        return cli::exit_ok;
    }
    switch (acquire(o.fd, o.acquire)) {
    case Acquired::locked:
        return cli::exit_ok;
    case Acquired::held:
        return o.conflict_exit;
    case Acquired::failed:
        break;
    }
    return cli::exit_trouble;
}

int lock_and_run(const Options& o) {
    Opened f = open_lock_file(o.operand, o.acquire.request.mode, !o.no_create);
    if (!f.fd) {
        cli::error(o.operand, f.why);
        return cli::exit_trouble;
    }
    switch (acquire(f.fd.get(), o.acquire)) {
    case Acquired::locked:
        break;
    case Acquired::held:
        return o.conflict_exit;
    case Acquired::failed:
        return cli::exit_trouble;
    }
    std::vector<std::string> argv = o.command;
    if (!o.shell_command.empty()) {
        const char* shell = std::getenv("SHELL");
        argv = {shell != nullptr && *shell != '\0' ? shell : "/bin/sh", "-c", o.shell_command};
    }
    if ((o.keep_fd || o.no_fork) && !hand_down(f.fd.get(), o.operand))
        return cli::exit_trouble;
    if (o.verbose)
        cli::note(o.operand, "running " + command_text(argv));
    // The lock stays with the descriptor (OFD) or the process (POSIX), both of which the
    // command inherits.
    if (o.no_fork)
        return exec_command(std::move(argv));
    return run_command(RunOptions{argv, o.deadline.value_or(0), o.grace.value_or(5), o.verbose});
}

} // namespace syskit::fdlock

#include "watched.hpp"

#include "pidfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

extern char** environ;

namespace syskit::logroll {

namespace {

/// Runs cmd with /bin/sh -c and waits for it; its status, or -1 with errno.
int run_shell(const std::string& cmd) {
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    pid_t pid;
    if (int err = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ)) {
        errno = err;
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Waits up to seconds for the log to exist again as another file than ino.
bool wait_reopened(const Rotator& r, ino_t ino, double seconds) {
    timespec step{0, 20'000'000};
    for (double waited = 0; waited < seconds; waited += 0.02) {
        struct stat st{};
        if (::fstatat(r.dirfd(), r.base().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino != ino)
            return true;
        nanosleep(&step, nullptr);
    }
    return false;
}

} // namespace

bool rotate_watched(const Options& o, Rotator& rotator, log::Logger& log, std::string_view reason) {
    const std::string from = rotator.path(rotator.base());
    std::string to;
    if (o.method == Method::copytruncate) {
        CopyResult r;
        std::string error;
        if (!rotator.copy_truncate(to, r, error)) {
            log.error("rotation failed, the log is left as it was", {{"file", from}, {"error", error}});
            return false;
        }
        log.info("rotated", {{"file", from},
                             {"to", rotator.path(to)},
                             {"bytes", r.copied},
                             {"reason", reason},
                             {"method", "copytruncate"},
                             {"bytes_during_copy", r.during_copy},
                             {"bytes_kept", r.kept},
                             {"bytes_lost", r.lost}});
        rotator.rotated(to);
        return true;
    }
    struct stat st{};
    if (::fstatat(rotator.dirfd(), rotator.base().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        log.error("rotation failed", {{"file", from}, {"error", std::string_view(std::strerror(errno))}});
        return false;
    }
    if (int err = rotator.rename_current(to)) {
        log.error("rotation failed, the log is left as it was",
                  {{"file", from}, {"error", std::string_view(std::strerror(err))}});
        return false;
    }
    log.info("rotated", {{"file", from},
                         {"to", rotator.path(to)},
                         {"bytes", static_cast<std::uint64_t>(st.st_size)},
                         {"reason", reason},
                         {"method", "rename"}});
    if (!o.pidfile.empty()) {
        std::string error;
        auto pid = read_pidfile(o.pidfile, error);
        if (!pid)
            log.error("cannot tell the writer to reopen", {{"pidfile", o.pidfile}, {"error", error}});
        else if (::kill(*pid, o.signal) != 0)
            log.error("cannot tell the writer to reopen",
                      {{"pid", std::int64_t{*pid}}, {"error", std::string_view(std::strerror(errno))}});
    } else if (!o.reopen_cmd.empty()) {
        int rc = run_shell(o.reopen_cmd);
        if (rc != 0)
            log.error("--reopen-cmd failed", {{"cmd", o.reopen_cmd},
                                              {"status", std::int64_t{rc}},
                                              {"error", rc < 0 ? std::string_view(std::strerror(errno)) : ""}});
    }
    // A writer told to reopen usually has by the time this wait ends, so the compressor
    // finds the rotated file closed; one never told is waited for by the compressor's retries.
    const bool told = !o.pidfile.empty() || !o.reopen_cmd.empty();
    if (o.rotate.compression != Compression::none && told && !wait_reopened(rotator, st.st_ino, 10))
        log.warn("the writer has not created the log again after 10 s", {{"file", from}});
    rotator.rotated(to);
    return true;
}

} // namespace syskit::logroll

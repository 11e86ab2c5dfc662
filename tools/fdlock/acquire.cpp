#include "acquire.hpp"

#include "cli/diag.hpp"
#include "holdings.hpp"
#include "lockfile.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace syskit::fdlock {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_since(Clock::time_point t0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", std::chrono::duration<double>(Clock::now() - t0).count());
    return buf;
}

/// " (held by pid 12 (sleep))", or nothing when nobody can be named.
std::string held_by(int fd, const lock::Request& r) {
    lock::FileKey key;
    std::optional<lock::Conflict> conflict;
    if (lock::file_key(fd, &key) != 0)
        return {};
    if (lock::find_conflict(fd, r, &conflict) != 0)
        conflict.reset();
    std::string who = describe_holders(key, r.mode, r.range, conflict);
    return who.empty() ? std::string() : " (held by " + who + ")";
}

void report_failure(int fd, const AcquireOptions& o, int err, bool wait) {
    if (err == EBADF) {
        cli::error(o.subject, bad_descriptor_reason(fd, o.request.mode));
        return;
    }
    std::string call = std::string("fcntl(") + lock::command_name(o.request.owner, wait) + ")";
    if (err == EDEADLK)
        cli::error(o.subject, call + ": waiting would deadlock: a process this one waits for waits for a "
                                     "lock this one holds");
    else
        cli::error(o.subject, call + ": " + std::strerror(err));
}

} // namespace

Acquired acquire(int fd, const AcquireOptions& o) {
    Clock::time_point t0 = Clock::now();
    int err = lock::try_lock(fd, o.request);
    if (err == 0) {
        if (o.verbose)
            cli::note(o.subject, "got " + describe_request(o.request) + " at once");
        return Acquired::locked;
    }
    if (err != EAGAIN) {
        report_failure(fd, o, err, false);
        return Acquired::failed;
    }
    if (o.wait == 0) {
        if (o.verbose)
            cli::note(o.subject, "cannot get " + describe_request(o.request) + held_by(fd, o.request) +
                                      ": not waiting");
        return Acquired::held;
    }
    if (o.verbose)
        cli::note(o.subject, "waiting for " + describe_request(o.request) + held_by(fd, o.request));
    if (o.wait < 0) {
        err = lock::lock(fd, o.request);
    } else {
        double left = o.wait - std::chrono::duration<double>(Clock::now() - t0).count();
        err = left > 0 ? lock::lock_for(fd, o.request, left) : ETIMEDOUT;
    }
    if (err == 0) {
        if (o.verbose)
            cli::note(o.subject, "got " + describe_request(o.request) + " after waiting " + seconds_since(t0));
        return Acquired::locked;
    }
    if (err == ETIMEDOUT) {
        if (o.verbose)
            cli::note(o.subject, "gave up after waiting " + seconds_since(t0));
        return Acquired::held;
    }
    report_failure(fd, o, err, true);
    return Acquired::failed;
}

} // namespace syskit::fdlock

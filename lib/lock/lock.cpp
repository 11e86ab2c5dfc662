#include "lock/lock.hpp"

#include "cli/size.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <mutex>

namespace syskit::lock {

namespace {

constexpr std::int64_t off_max = std::numeric_limits<std::int64_t>::max();

struct flock to_flock(Mode mode, const Range& range) {
    struct flock fl {};
    fl.l_type = mode == Mode::shared ? F_RDLCK : F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = range.start;
    fl.l_len = range.length;
    fl.l_pid = 0; // the OFD commands fail with EINVAL unless it is 0
    return fl;
}

int set_command(Owner owner, bool wait) {
    if (owner == Owner::ofd)
        return wait ? F_OFD_SETLKW : F_OFD_SETLK;
    return wait ? F_SETLKW : F_SETLK;
}

/// One number of a range: cli::parse_size's bytes, less what a range has no use for: a
/// fraction and a bare "B" (1.5K, 1KB), so only digits and an optional K, M, G, T, P or E,
/// which may be followed by "iB".  Within the largest file offset.
std::optional<std::int64_t> parse_offset(std::string_view s) {
    std::size_t digits = std::min(s.find_first_not_of("0123456789"), s.size());
    std::string_view suffix = s.substr(digits);
    if (suffix.size() > 1 && suffix.substr(1) != "iB")
        return std::nullopt;
    auto n = cli::parse_size(s);
    if (!n || *n > static_cast<std::uint64_t>(off_max))
        return std::nullopt;
    return static_cast<std::int64_t>(*n);
}

// lock_for's timer.  The handler only touches the flag of the thread it interrupts, and only
// for its own timer's signal, so a SIGRTMAX from elsewhere cannot write through a stale or
// foreign pointer.
thread_local volatile sig_atomic_t* t_expired = nullptr;

void on_timer(int, siginfo_t* si, void*) {
    if (si->si_code == SI_TIMER && t_expired != nullptr && si->si_value.sival_ptr == t_expired)
        *t_expired = 1;
}

// The handler is process-wide; threads waiting at the same time share it, and the last one
// out puts back what was there before.
std::mutex g_handler_mu;
int g_handler_users = 0;
struct sigaction g_previous;

/// A timer that sends SIGRTMAX to the calling thread when the time is up, then every 10 ms
/// after: a signal that lands between the check of the flag and the fcntl(2) it should
/// interrupt is not lost, the next one interrupts it.
class WaitTimer {
public:
    /// Returns 0 or errno.
    int arm(double seconds, volatile sig_atomic_t* expired) {
        int sig = SIGRTMAX;
        {
            std::lock_guard lock(g_handler_mu);
            if (g_handler_users == 0) {
                struct sigaction sa {};
                sa.sa_sigaction = on_timer;
                sa.sa_flags = SA_SIGINFO; // no SA_RESTART: the interrupted fcntl must return EINTR
                sigemptyset(&sa.sa_mask);
                if (sigaction(sig, &sa, &g_previous) != 0)
                    return errno;
            }
            ++g_handler_users;
            installed_ = true;
        }
        t_expired = expired;

        struct sigevent sev {};
        sev.sigev_notify = SIGEV_THREAD_ID;
        sev.sigev_signo = sig;
        sev.sigev_value.sival_ptr = const_cast<sig_atomic_t*>(expired);
        sev._sigev_un._tid = gettid();
        if (timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0)
            return errno;
        created_ = true;

        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, &old_mask_);
        unblocked_ = true;

        struct itimerspec its {};
        double whole = std::floor(seconds);
        its.it_value.tv_sec = static_cast<time_t>(whole);
        its.it_value.tv_nsec = static_cast<long>((seconds - whole) * 1e9);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1; // zero would disarm the timer
        its.it_interval.tv_nsec = 10'000'000;
        if (timer_settime(timer_, 0, &its, nullptr) != 0)
            return errno;
        return 0;
    }

    ~WaitTimer() {
        // Deleting the timer first: a signal it sent is delivered before timer_delete()
        // returns, since the signal is unblocked, so none arrives after the flag is gone.
        if (created_)
            timer_delete(timer_);
        if (unblocked_)
            pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
        t_expired = nullptr;
        if (installed_) {
            std::lock_guard lock(g_handler_mu);
            if (--g_handler_users == 0)
                sigaction(SIGRTMAX, &g_previous, nullptr);
        }
    }

private:
    timer_t timer_{};
    sigset_t old_mask_{};
    bool installed_ = false;
    bool created_ = false;
    bool unblocked_ = false;
};

} // namespace

bool overlaps(const Range& a, const Range& b) {
    // Last bytes, inclusive: start + length could overflow, start + length - 1 cannot.
    std::int64_t a_last = a.length == 0 ? off_max : a.start + (a.length - 1);
    std::int64_t b_last = b.length == 0 ? off_max : b.start + (b.length - 1);
    return a.start <= b_last && b.start <= a_last;
}

std::optional<Range> parse_range(std::string_view text, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<Range> {
        if (error)
            *error = std::move(why);
        return std::nullopt;
    };
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos)
        return fail("expected START:LEN");
    auto start = parse_offset(text.substr(0, colon));
    auto length = parse_offset(text.substr(colon + 1));
    if (!start || !length)
        return fail("expected START:LEN, two byte counts such as 0:4096 or 1M:4K");
    // The last byte, start + length - 1, must be a valid file offset.
    if (*length > 0 && *length - 1 > off_max - *start)
        return fail("the range ends past the largest file offset");
    return Range{*start, *length};
}

int try_lock(int fd, const Request& r) {
    struct flock fl = to_flock(r.mode, r.range);
    if (fcntl(fd, set_command(r.owner, false), &fl) == 0)
        return 0;
    // POSIX lets F_SETLK report a conflict as EACCES too.
    return errno == EACCES ? EAGAIN : errno;
}

int lock(int fd, const Request& r) {
    struct flock fl = to_flock(r.mode, r.range);
    while (fcntl(fd, set_command(r.owner, true), &fl) != 0) {
        if (errno != EINTR)
            return errno;
    }
    return 0;
}

int lock_for(int fd, const Request& r, double seconds) {
    if (!(seconds > 0))
        return try_lock(fd, r);
    volatile sig_atomic_t expired = 0;
    WaitTimer timer;
    if (int err = timer.arm(seconds, &expired))
        return err;
    struct flock fl = to_flock(r.mode, r.range);
    while (!expired) {
        if (fcntl(fd, set_command(r.owner, true), &fl) == 0)
            return 0;
        if (errno != EINTR)
            return errno;
    }
    return ETIMEDOUT;
}

int unlock(int fd, Owner owner, const Range& range) {
    struct flock fl = to_flock(Mode::shared, range);
    fl.l_type = F_UNLCK;
    return fcntl(fd, set_command(owner, false), &fl) == 0 ? 0 : errno;
}

int find_conflict(int fd, const Request& r, std::optional<Conflict>* conflict) {
    struct flock fl = to_flock(r.mode, r.range);
    if (fcntl(fd, r.owner == Owner::ofd ? F_OFD_GETLK : F_GETLK, &fl) != 0)
        return errno;
    conflict->reset();
    if (fl.l_type != F_UNLCK)
        *conflict = Conflict{fl.l_type == F_RDLCK ? Mode::shared : Mode::exclusive, {fl.l_start, fl.l_len}, fl.l_pid};
    return 0;
}

const char* command_name(Owner owner, bool wait) {
    if (owner == Owner::ofd)
        return wait ? "F_OFD_SETLKW" : "F_OFD_SETLK";
    return wait ? "F_SETLKW" : "F_SETLK";
}

} // namespace syskit::lock

#include "watch.hpp"

#include "schedule.hpp"
#include "watched.hpp"

#include "cli/diag.hpp"
#include "loop/poll.hpp"
#include "notify/inotify.hpp"
#include "svc/svc.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

namespace syskit::logroll {

int run_watch(loop::Loop& loop, const Options& o, Rotator& rotator, log::Logger& log) {
    const std::string file = rotator.path(rotator.base());
    int status = cli::exit_ok;
    // The directory, not the file: the writer's new file after a rename is seen too.
    notify::Watcher watcher(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE, false, {},
                            [&](std::string_view path, std::string_view message) {
                                log.error("inotify", {{"path", path}, {"error", message}});
                            });
    if (!watcher.add_root(rotator.dir()))
        return cli::exit_trouble;

    auto rotate = [&](const char* reason) {
        struct stat st{};
        if (::fstatat(rotator.dirfd(), rotator.base().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size == 0)
            return; // not there yet (the writer has not reopened) or empty: nothing to rotate
        rotate_watched(o, rotator, log, reason);
    };
    auto check = [&] {
        struct stat st{};
        if (o.size && ::fstatat(rotator.dirfd(), rotator.base().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            static_cast<std::uint64_t>(st.st_size) >= *o.size)
            rotate("size");
    };
    std::vector<notify::Event> events;
    loop::Poll poll(loop, watcher.fd(), [&] {
        events.clear();
        watcher.read_events(events);
        watcher.flush(events);
        for (const auto& e : events) {
            auto slash = e.path.rfind('/');
            if ((slash == std::string::npos ? e.path : e.path.substr(slash + 1)) == rotator.base()) {
                check();
                break;
            }
        }
    });
    // Once a second too: a writer on another machine (NFS) makes no inotify event here.
    loop::Timer tick(loop, check);
    tick.start(1, 1);
    std::optional<loop::Timer> interval;
    std::function<void()> arm = [&] {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        interval->start(static_cast<double>(next_boundary(now.tv_sec, *o.interval) - now.tv_sec) -
                        static_cast<double>(now.tv_nsec) / 1e9);
    };
    if (o.interval) {
        interval.emplace(loop, [&] {
            rotate("interval");
            arm();
        });
        arm();
    }
    std::vector<loop::Signal> signals;
    for (int sig : {SIGTERM, SIGINT})
        signals.emplace_back(loop, sig, [&](int) { loop.stop(); });
    for (int sig : {SIGUSR1, SIGALRM})
        signals.emplace_back(loop, sig, [&](int) { rotate("signal"); });
    signals.emplace_back(loop, SIGHUP, [&](int) { check(); });
    log.info("watching", {{"file", file}});
    if (int err = svc::notify("READY=1"))
        log.error("cannot notify systemd", {{"error", std::strerror(err)}});
    check();
    loop.run();
    if (!rotator.wait())
        status = cli::exit_trouble;
    return status;
}

} // namespace syskit::logroll

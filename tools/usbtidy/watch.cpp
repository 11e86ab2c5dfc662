#include "watch.hpp"

#include "organize.hpp"
#include "services.hpp"
#include "tidy.hpp"

#include "cli/diag.hpp"
#include "dbus/attach.hpp"
#include "dbus/bus.hpp"
#include "fs/fd.hpp"
#include "loop/loop.hpp"
#include "loop/poll.hpp"
#include "loop/process.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <signal.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <system_error>

namespace syskit::usbtidy {

bool selected(const Options& o, const Device& dev) {
    if (!dev.has_filesystem())
        return false;
    if (!o.label.empty())
        return dev.label == o.label;
    if (!o.uuid.empty())
        return strcasecmp(dev.uuid.c_str(), o.uuid.c_str()) == 0;
    return o.any;
}

void Tally::add(const std::string& folder) {
    ++moved;
    auto it = std::find_if(folders.begin(), folders.end(), [&](auto& f) { return f.first == folder; });
    if (it == folders.end())
        folders.emplace_back(folder, 1);
    else
        ++it->second;
}

std::string Tally::summary() const {
    if (moved == 0)
        return problems ? "nothing moved" : "nothing to tidy";
    auto sorted = folders;
    std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
    std::string s = fmt::format("{} file{} moved: ", moved, moved == 1 ? "" : "s");
    for (std::size_t i = 0; i < sorted.size() && i < 3; ++i)
        s += fmt::format("{}{} to {}", i ? ", " : "", sorted[i].second, sorted[i].first);
    if (sorted.size() > 3)
        s += fmt::format(" and {} more folder{}", sorted.size() - 3, sorted.size() == 4 ? "" : "s");
    if (problems)
        s += fmt::format("; {} problem{}", problems, problems == 1 ? "" : "s");
    if (stopped)
        s += "; stopped early (run usbtidy undo to put it back)";
    return s;
}

namespace {

class Watcher {
public:
    Watcher(loop::Loop& loop, const Options& o, Rules rules, log::Logger& log)
        : loop_(loop), o_(o), rules_(std::move(rules)), log_(log) {}

    /// Sets up the monitors; false after logging why when one cannot be.
    bool start();

    void reload_rules() {
        std::string why;
        auto r = load_rules(o_.rules, why);
        if (!r) {
            log_.error("rules not reloaded", {{"error", why}});
            return;
        }
        rules_ = std::move(*r);
        log_.info("rules reloaded", {{"rules", std::string_view(o_.rules)}});
    }

private:
    struct Pending {
        Device dev;
        std::unique_ptr<loop::Timer> timeout;
    };

    void on_uevent();
    void consider(const std::string& action, Device dev);
    void on_mounts();
    void tidy(const Device& dev, const Mount& m);
    void run_exec(const Device& dev, const std::string& target);
    bool connect(dbus::BusKind kind, dbus::Bus& bus, std::unique_ptr<dbus::Attachment>& attachment, bool& lost);
    void mount(const Device& dev);
    void announce(const Device& dev, const std::string& target, const Tally& tally);
    /// Keeps a pending call's Slot until its reply has been handled.
    std::uint64_t keep(dbus::Slot slot);
    /// Drops the Slots of calls answered (not from within their own callback).
    void reap();

    loop::Loop& loop_;
    const Options& o_;
    Rules rules_;
    log::Logger& log_;
    Udev udev_;
    UdevMonitor monitor_;
    std::unique_ptr<MountMonitor> mounts_;
    std::unique_ptr<loop::Poll> udev_poll_, mount_poll_;
    std::map<std::string, Pending> pending_;
    std::set<std::string> done_; ///< tidied since plugged in: a "change" does not tidy again
    std::list<loop::Process> children_;
    dbus::Bus system_, session_;
    std::unique_ptr<dbus::Attachment> system_attached_, session_attached_;
    bool system_lost_ = false, session_lost_ = false;
    std::map<std::uint64_t, dbus::Slot> calls_;
    std::vector<std::uint64_t> answered_;
    std::uint64_t next_call_ = 0;
};

bool Watcher::connect(dbus::BusKind kind, dbus::Bus& bus, std::unique_ptr<dbus::Attachment>& attachment,
                      bool& lost) {
    std::string_view which = kind == dbus::BusKind::system ? "system" : "session";
    dbus::Failure f;
    bus = dbus::Bus::connect(kind, f);
    if (!bus) {
        log_.error(kind == dbus::BusKind::system ? "no system bus for --mount" : "no session bus for --notify",
                   {{"error", std::string_view(f.text)}});
        return false;
    }
    attachment = std::make_unique<dbus::Attachment>(loop_, bus, [this, which, &lost](const dbus::Failure& f) {
        lost = true;
        log_.error("bus connection lost", {{"bus", which}, {"error", std::string_view(f.text)}});
    });
    return true;
}

std::uint64_t Watcher::keep(dbus::Slot slot) {
    auto id = next_call_++;
    calls_.emplace(id, std::move(slot));
    return id;
}

void Watcher::reap() {
    for (auto id : answered_)
        calls_.erase(id);
    answered_.clear();
}

void Watcher::mount(const Device& dev) {
    reap();
    // A copy: erasing the pending entry ends dev.
    std::string node = dev.node;
    if (system_lost_) {
        log_.error("cannot mount: the system bus is gone", {{"device", std::string_view(node)}});
        pending_.erase(node);
        return;
    }
    auto id = std::make_shared<std::uint64_t>(0);
    auto timeout = std::chrono::microseconds(static_cast<std::int64_t>(o_.timeout * 1e6));
    dbus::Failure f;
    auto slot = udisks_mount(system_, dev.name, timeout,
                             [this, node, id](const std::string& target, const dbus::Failure* failure) {
                                 answered_.push_back(*id);
                                 if (failure) {
                                     log_.error("UDisks2 could not mount it", {{"device", std::string_view(node)},
                                                                               {"error", std::string_view(failure->text)}});
                                     pending_.erase(node);
                                     return;
                                 }
                                 log_.info("mounted through UDisks2", {{"device", std::string_view(node)},
                                                                       {"mountpoint", std::string_view(target)}});
                                 on_mounts();
                             },
                             f);
    if (!slot) {
        log_.error("cannot ask UDisks2 to mount it", {{"device", std::string_view(node)}, {"error", std::string_view(f.text)}});
        pending_.erase(node);
        return;
    }
    *id = keep(std::move(slot));
}

void Watcher::announce(const Device& dev, const std::string& target, const Tally& tally) {
    reap();
    std::string node = dev.node;
    if (session_lost_) {
        log_.warn("notification not sent: the session bus is gone", {{"device", std::string_view(node)}});
        return;
    }
    std::string summary = fmt::format("USB drive {} tidied", dev.label.empty() ? dev.node : dev.label);
    std::string body = fmt::format("{}\n{}", tally.summary(), target);
    auto id = std::make_shared<std::uint64_t>(0);
    dbus::Failure f;
    auto slot = notify(session_, summary, body,
                       [this, node, id](const dbus::Failure* failure) {
                           answered_.push_back(*id);
                           if (failure)
                               log_.warn("notification not delivered", {{"device", std::string_view(node)},
                                                                        {"error", std::string_view(failure->text)}});
                           else
                               log_.info("notified", {{"device", std::string_view(node)}});
                       },
                       f);
    if (!slot) {
        log_.warn("notification not sent", {{"device", std::string_view(node)}, {"error", std::string_view(f.text)}});
        return;
    }
    *id = keep(std::move(slot));
}

bool Watcher::start() {
    udev_.reset(udev_new());
    if (udev_)
        monitor_.reset(udev_monitor_new_from_netlink(udev_.get(), "udev"));
    if (!monitor_) {
        log_.error("cannot watch uevents", {{"call", "udev_monitor_new_from_netlink"}, {"error", std::strerror(errno)}});
        return false;
    }
    int rc = udev_monitor_filter_add_match_subsystem_devtype(monitor_.get(), "block", nullptr);
    if (rc >= 0)
        rc = udev_monitor_enable_receiving(monitor_.get());
    if (rc < 0) {
        log_.error("cannot watch uevents", {{"call", "udev_monitor_enable_receiving"}, {"error", std::strerror(-rc)}});
        return false;
    }
    try {
        mounts_ = std::make_unique<MountMonitor>();
    } catch (const std::system_error& e) {
        log_.error("cannot watch the mount table", {{"error", e.what()}});
        return false;
    }
    udev_poll_ = std::make_unique<loop::Poll>(loop_, udev_monitor_get_fd(monitor_.get()), [this] { on_uevent(); });
    mount_poll_ = std::make_unique<loop::Poll>(loop_, mounts_->fd(), [this] { on_mounts(); });
    if (o_.mount && !connect(dbus::BusKind::system, system_, system_attached_, system_lost_))
        return false;
    if (o_.notify && !connect(dbus::BusKind::session, session_, session_attached_, session_lost_))
        return false;
    return true;
}

void Watcher::on_uevent() {
    // The socket is non-blocking: take every event queued.
    while (UdevDevice d{udev_monitor_receive_device(monitor_.get())}) {
        const char* action = udev_device_get_action(d.get());
        auto dev = usb_block_device(d.get());
        if (action && dev)
            consider(action, std::move(*dev));
    }
}

void Watcher::consider(const std::string& action, Device dev) {
    if (action == "remove") {
        done_.erase(dev.node);
        if (pending_.erase(dev.node))
            log_.warn("device vanished before it was mounted", {{"device", std::string_view(dev.node)}});
        return;
    }
    if (action != "add" && action != "change")
        return;
    if (!dev.has_filesystem() || pending_.count(dev.node) || done_.count(dev.node))
        return;
    log::Fields seen{{"device", std::string_view(dev.node)}, {"label", std::string_view(dev.label)},
                     {"uuid", std::string_view(dev.uuid)}, {"fstype", std::string_view(dev.fs_type)}};
    if (!selected(o_, dev)) {
        log_.info("not selected", seen);
        return;
    }
    log_.info("device", seen);
    std::string why;
    if (auto m = find_mount(dev.node, dev.devnum, why)) {
        done_.insert(dev.node);
        tidy(dev, *m);
        return;
    }
    if (!why.empty()) {
        log_.error("cannot read the mount table", {{"error", why}});
        return;
    }
    auto node = dev.node;
    auto timer = std::make_unique<loop::Timer>(loop_, [this, node] {
        auto it = pending_.find(node);
        if (it == pending_.end())
            return;
        log_.error("not mounted in time", {{"device", std::string_view(node)}, {"timeout", o_.timeout}});
        pending_.erase(it);
    });
    timer->start(o_.timeout);
    log_.info(o_.mount ? "asking UDisks2 to mount it" : "waiting for the mount",
              {{"device", std::string_view(node)}, {"timeout", o_.timeout}});
    auto& p = pending_.emplace(node, Pending{std::move(dev), std::move(timer)}).first->second;
    if (o_.mount)
        mount(p.dev);
}

void Watcher::on_mounts() {
    mounts_->drain();
    for (auto it = pending_.begin(); it != pending_.end();) {
        std::string why;
        auto m = find_mount(it->second.dev.node, it->second.dev.devnum, why);
        if (!m) {
            if (!why.empty())
                log_.error("cannot read the mount table", {{"error", why}});
            ++it;
            continue;
        }
        Device dev = std::move(it->second.dev);
        it = pending_.erase(it);
        done_.insert(dev.node);
        tidy(dev, *m);
    }
}

void Watcher::tidy(const Device& dev, const Mount& m) {
    log::Fields where{{"device", std::string_view(dev.node)}, {"mountpoint", std::string_view(m.target)}};
    log_.info("mounted", where);
    fs::UniqueFd dirfd(::open(m.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat st;
    if (!dirfd || ::fstat(dirfd.get(), &st) != 0) {
        log_.error("cannot open the mount point", {{"device", std::string_view(dev.node)},
                                                   {"mountpoint", std::string_view(m.target)},
                                                   {"error", std::strerror(errno)}});
        return;
    }
    if (st.st_dev != m.devno) {
        // Something else is mounted over it now, or it went and came back elsewhere.
        log_.error("the mount point is on another file system than the device's; not tidied", where);
        return;
    }
    Tally tally;
    Events ev{[&](const Move& mv) { tally.add(mv.folder); },
              [&](std::string_view subject, std::string_view message) {
                  log_.error(message, {{"device", std::string_view(dev.node)}, {"path", subject}});
              }};
    auto sum = organize(dirfd.get(), rules_, {.dir = m.target, .dry_run = false, }, ev);
    tally.problems = sum.problems;
    tally.stopped = sum.stopped;
    log_.log(sum.problems ? log::Level::warn : log::Level::info, "organized",
             {{"device", std::string_view(dev.node)}, {"mountpoint", std::string_view(m.target)},
              {"moved", static_cast<std::uint64_t>(sum.moved)}, {"problems", static_cast<std::uint64_t>(sum.problems)},
              {"stopped", sum.stopped}});
    if (o_.notify)
        announce(dev, m.target, tally);
    if (!o_.exec.empty())
        run_exec(dev, m.target);
}

void Watcher::run_exec(const Device& dev, const std::string& target) {
    children_.remove_if([](const loop::Process& p) { return !p.running(); });
    auto& child = children_.emplace_back(loop_);
    std::string node = dev.node;
    int rc = child.spawn({{"/bin/sh", "-c", o_.exec, "usbtidy", target, dev.node}, false}, [this, node](int status) {
        log_.log(status ? log::Level::warn : log::Level::info, "command finished",
                 {{"device", std::string_view(node)}, {"status", static_cast<std::int64_t>(status)}});
    });
    if (rc < 0)
        log_.error("cannot run --exec", {{"device", std::string_view(node)}, {"error", uv_strerror(rc)}});
}

} // namespace

int run_watch(const Options& o, Rules rules, log::Logger& logger) {
    loop::Loop loop;
    Watcher w(loop, o, std::move(rules), logger);
    if (!w.start())
        return cli::exit_trouble;
    auto stop = [&](int sig) {
        logger.info("stopping", {{"signal", sig == SIGINT ? "INT" : "TERM"}});
        loop.stop();
    };
    loop::Signal on_int(loop, SIGINT, stop), on_term(loop, SIGTERM, stop);
    loop::Signal on_hup(loop, SIGHUP, [&](int) { w.reload_rules(); });
    std::string_view which = !o.label.empty() ? "label" : !o.uuid.empty() ? "uuid" : "any";
    logger.info("watching", {{"select", which}, {"value", std::string_view(o.any ? "" : o.label.empty() ? o.uuid : o.label)},
                             {"timeout", o.timeout}});
    sd_notify(0, "READY=1");
    loop.run();
    return cli::exit_ok;
}

} // namespace syskit::usbtidy

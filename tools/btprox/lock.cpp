#include "lock.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace syskit::btprox {

using dbus::Failure;
using dbus::Target;
using dbus::Value;
using namespace std::chrono_literals;

namespace {

constexpr const char* login1 = "org.freedesktop.login1";
constexpr const char* session_iface = "org.freedesktop.login1.Session";
constexpr std::chrono::seconds logind_timeout{5};

/// Polls check every 100 ms until it says true or wait has passed.
template <class Check>
bool poll_until(std::chrono::milliseconds wait, Check check) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (check())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(100ms);
    }
}

/// Runs argv, waiting for it; its exit status, or -1 when it could not run.
int run(const std::vector<const char*>& argv) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], const_cast<char* const*>(argv.data()));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

Locker::Locker(dbus::Bus& system, std::chrono::milliseconds wait) : system_(system), wait_(wait) {}

bool Locker::find_session(std::string& error) {
    Failure f;
    std::vector<Value> reply;
    Target manager{login1, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"};
    std::string how;
    if (const char* id = std::getenv("XDG_SESSION_ID"); id && *id) {
        how = fmt::format("XDG_SESSION_ID={}", id);
        if (system_.call(manager, "GetSession", {id}, logind_timeout, reply, f) && reply.size() == 1 && reply[0].string())
            session_ = *reply[0].string();
    } else {
        how = fmt::format("user {}", getuid());
        if (!system_.call(manager, "GetUser", {std::uint32_t{getuid()}}, logind_timeout, reply, f) ||
            reply.size() != 1 || !reply[0].string()) {
            error = fmt::format("logind: no session to lock ({}): {}", how, f.text);
            return false;
        }
        Target user{login1, *reply[0].string(), "org.freedesktop.login1.User"};
        Value display, sessions;
        // Display is (so): the session id and its object path, "/" when there is none.
        if (system_.get_property(user, "Display", logind_timeout, display, f) && display.array() &&
            display.array()->size() == 2 && display.array()->at(1).string() && *display.array()->at(1).string() != "/")
            session_ = *display.array()->at(1).string();
        else if (system_.get_property(user, "Sessions", logind_timeout, sessions, f) && sessions.array() &&
                 !sessions.array()->empty() && sessions.array()->front().array() &&
                 sessions.array()->front().array()->size() == 2 && sessions.array()->front().array()->at(1).string())
            session_ = *sessions.array()->front().array()->at(1).string();
    }
    bool locked = false;
    std::string why;
    if (session_.empty() || !locked_hint(locked, why)) {
        error = fmt::format("logind: no session to lock ({}){}{}", how, why.empty() ? "" : ": ",
                            why.empty() ? f.text : why);
        session_.clear();
        return false;
    }
    return true;
}

bool Locker::locked_hint(bool& locked, std::string& why) {
    Value v;
    Failure f;
    if (!system_.get_property({login1, session_, session_iface}, "LockedHint", logind_timeout, v, f)) {
        why = f.text;
        return false;
    }
    locked = v.boolean().value_or(false);
    return true;
}

bool Locker::lock_logind(std::string& why) {
    Failure f;
    std::vector<Value> reply;
    if (!system_.call({login1, session_, session_iface}, "Lock", {}, logind_timeout, reply, f)) {
        why = f.text;
        return false;
    }
    bool locked = false;
    std::string err;
    bool ok = poll_until(wait_, [&] { return locked_hint(locked, err) && locked; });
    if (!ok)
        why = err.empty() ? fmt::format("Session.Lock succeeded but LockedHint stayed false for {} ms (no locker "
                                        "listens to the session's Lock signal)",
                                        wait_.count())
                          : err;
    return ok;
}

bool Locker::lock_screensaver(dbus::Bus& session, const std::string& service, const std::string& path,
                              std::string& why) {
    Failure f;
    std::vector<Value> reply;
    Target t{service, path, service};
    // GNOME's Lock returns only once the shield is up, which can take a second or more.
    if (!session.call(t, "Lock", {}, wait_ + 5s, reply, f)) {
        why = f.text;
        return false;
    }
    bool active = poll_until(wait_, [&] {
        std::vector<Value> r;
        return session.call(t, "GetActive", {}, logind_timeout, r, f) && r.size() == 1 && r[0].boolean() == true;
    });
    if (!active)
        why = fmt::format("{}.Lock succeeded but GetActive stayed false", service);
    return active;
}

bool Locker::lock(std::string& via, std::string& error) {
    std::vector<std::string> whys;
    std::string why;
    if (lock_logind(why)) {
        via = "logind";
        return true;
    }
    whys.push_back("logind: " + why);
    Failure f;
    dbus::Bus session = dbus::Bus::connect(dbus::BusKind::session, f);
    if (!session) {
        whys.push_back(f.text);
    } else {
        for (auto [service, path] : {std::pair{"org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"},
                                     std::pair{"org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"}}) {
            why.clear();
            if (lock_screensaver(session, service, path, why)) {
                via = service;
                return true;
            }
            whys.push_back(why);
        }
    }
    int status = run({"xdg-screensaver", "lock", nullptr});
    if (status == 0) {
        via = "xdg-screensaver";
        return true;
    }
    if (status < 0)
        whys.push_back(fmt::format("xdg-screensaver: fork: {}", std::strerror(errno)));
    else if (status == 127)
        whys.push_back("xdg-screensaver: not found");
    else
        whys.push_back(fmt::format("xdg-screensaver lock: exit status {}", status));
    error = fmt::format("{}", fmt::join(whys, "; "));
    return false;
}

} // namespace syskit::btprox

// lock: locks the user's graphical session, the same way on X11 and Wayland: logind's
// Session.Lock, then a check of the session's LockedHint (logind only asks the desktop, and
// succeeds whether or not anything locked), then the screensavers' own D-Bus methods, then
// xdg-screensaver.
#pragma once

#include "dbus/bus.hpp"

#include <chrono>
#include <string>

namespace syskit::btprox {

class Locker {
public:
    /// system: the bus logind is on.  wait: how long the desktop has to set LockedHint after
    /// Session.Lock, and to report its screensaver active after a screensaver's Lock.
    Locker(dbus::Bus& system, std::chrono::milliseconds wait);

    /// Finds the session to lock: $XDG_SESSION_ID's, else the user's display session
    /// (org.freedesktop.login1.User's Display), else the first of the user's sessions.
    /// False with error when logind has no session for this user.
    bool find_session(std::string& error);
    const std::string& session_path() const { return session_; }

    /// Locks, trying in turn: logind (Session.Lock, then LockedHint), org.gnome.ScreenSaver
    /// and org.freedesktop.ScreenSaver on the session bus (Lock, then GetActive), and
    /// `xdg-screensaver lock`.  True with via naming the one that worked ("logind",
    /// "org.gnome.ScreenSaver", ...); false with error listing why each failed.
    bool lock(std::string& via, std::string& error);

private:
    bool lock_logind(std::string& why);
    bool lock_screensaver(dbus::Bus& session, const std::string& service, const std::string& path,
                          std::string& why);
    bool locked_hint(bool& locked, std::string& why);

    dbus::Bus& system_;
    std::chrono::milliseconds wait_;
    std::string session_;
};

} // namespace syskit::btprox

#include "services.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

namespace syskit::usbtidy {

namespace {

/// How long the notification daemon has to answer; nothing waits for it meanwhile.
constexpr std::chrono::seconds notify_timeout{5};
/// Notify's expire_timeout: -1 lets the daemon decide how long it stays.
constexpr std::int32_t daemon_default = -1;

} // namespace

std::string udisks_block_path(std::string_view name) {
    std::string path = "/org/freedesktop/UDisks2/block_devices/";
    for (unsigned char c : name) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            path += static_cast<char>(c);
        else
            path += fmt::format("_{:02x}", c);
    }
    return path;
}

dbus::Slot udisks_mount(dbus::Bus& system, std::string_view name, std::chrono::microseconds timeout,
                        std::function<void(const std::string&, const dbus::Failure*)> on_done,
                        dbus::Failure& failure) {
    dbus::Target fs{"org.freedesktop.UDisks2", udisks_block_path(name), "org.freedesktop.UDisks2.Filesystem"};
    return system.call_async(
        fs, "Mount", {dbus::Value(dbus::Dict{})}, timeout,
        [on_done = std::move(on_done), subject = fs.path](const std::vector<dbus::Value>& reply,
                                                            const dbus::Failure* f) {
            if (f) {
                on_done("", f);
                return;
            }
            const std::string* path = reply.empty() ? nullptr : reply[0].string();
            if (!path) {
                dbus::Failure bad{"", EBADMSG, subject + " org.freedesktop.UDisks2.Filesystem.Mount: no mount path"};
                on_done("", &bad);
                return;
            }
            on_done(*path, nullptr);
        },
        failure);
}

dbus::Slot notify(dbus::Bus& session, const std::string& summary, const std::string& body,
                  std::function<void(const dbus::Failure*)> on_done, dbus::Failure& failure) {
    dbus::Target daemon{"org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                        "org.freedesktop.Notifications"};
    std::vector<dbus::Value> args{
        dbus::Value("usbtidy"),
        dbus::Value(std::uint32_t{0}), // replaces no earlier notification
        dbus::Value("drive-removable-media"),
        dbus::Value(summary),
        dbus::Value(body),
        dbus::Value(std::vector<std::string>{}), // no actions
        dbus::Value(dbus::Dict{{"category", dbus::Value("device.added")}}),
        dbus::Value(daemon_default),
    };
    return session.call_async(
        daemon, "Notify", args, notify_timeout,
        [on_done = std::move(on_done)](const std::vector<dbus::Value>&, const dbus::Failure* f) { on_done(f); },
        failure);
}

} // namespace syskit::usbtidy

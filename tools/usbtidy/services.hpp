// services: the two D-Bus services usbtidy calls, always asynchronously so neither can hold
// up the work: UDisks2 on the system bus (org.freedesktop.UDisks2.Filesystem.Mount, which
// mounts as the desktop would, under /media/USER) and the desktop's notification daemon on
// the session bus (org.freedesktop.Notifications.Notify).
#pragma once

#include "dbus/bus.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace syskit::usbtidy {

/// UDisks2's object for the block device the kernel names name: "sdb1" gives
/// /org/freedesktop/UDisks2/block_devices/sdb1; bytes other than ASCII letters and digits
/// become "_xx" in hex, as udisksd escapes them ("dm-0" gives dm_2d0).
std::string udisks_block_path(std::string_view name);

/// Calls Filesystem.Mount (no options) on the device named name; on_done runs later, from
/// the bus's dispatch, with the mount point, or with a failure.  The returned Slot must live
/// until then (its destruction cancels the call).  An empty Slot with failure set when the
/// call cannot be sent.
dbus::Slot udisks_mount(dbus::Bus& system, std::string_view name, std::chrono::microseconds timeout,
                        std::function<void(const std::string& mount_point, const dbus::Failure* failure)> on_done,
                        dbus::Failure& failure);

/// Sends a desktop notification from "usbtidy" with summary and body; on_done runs later
/// with a failure (no daemon, a timeout) or nullptr.  As udisks_mount for the Slot.
dbus::Slot notify(dbus::Bus& session, const std::string& summary, const std::string& body,
                  std::function<void(const dbus::Failure* failure)> on_done, dbus::Failure& failure);

} // namespace syskit::usbtidy

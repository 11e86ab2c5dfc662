// devices: USB block devices as libudev describes them: which ones carry a file system
// (partitions, and whole-disk "superfloppy" sticks), their labels, UUIDs and sizes; the
// enumeration list uses and the "udev" netlink monitor watch uses.
#pragma once

#include <libudev.h>

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace syskit::usbtidy {

struct UdevDeleter {
    void operator()(udev* u) const { udev_unref(u); }
    void operator()(udev_device* d) const { udev_device_unref(d); }
    void operator()(udev_enumerate* e) const { udev_enumerate_unref(e); }
    void operator()(udev_monitor* m) const { udev_monitor_unref(m); }
};
using Udev = std::unique_ptr<udev, UdevDeleter>;
using UdevDevice = std::unique_ptr<udev_device, UdevDeleter>;
using UdevEnumerate = std::unique_ptr<udev_enumerate, UdevDeleter>;
using UdevMonitor = std::unique_ptr<udev_monitor, UdevDeleter>;

/// A block device on the USB bus.
struct Device {
    std::string node;     ///< /dev/sdb1
    std::string name;     ///< sdb1 (the kernel's name, as UDisks2's object path uses it)
    std::string syspath;  ///< /sys/devices/.../block/sdb/sdb1
    std::string type;     ///< "disk" or "partition"
    std::string disk;     ///< the node of the disk a partition is on; node itself for a disk
    std::string fs_type, fs_usage, label, uuid; ///< ID_FS_TYPE, ID_FS_USAGE, ID_FS_LABEL, ID_FS_UUID
    std::string model;    ///< ID_VENDOR and ID_MODEL
    std::uint64_t size = 0; ///< bytes (sysfs "size" counts 512-byte sectors)
    dev_t devnum = 0;

    /// Whether it holds a file system organize could tidy: a partition, or a whole disk
    /// formatted without a partition table (a superfloppy), with an ID_FS_TYPE; ID_FS_USAGE,
    /// when udev set it, must say "filesystem" (not raid, crypto or swap's "other").
    bool has_filesystem() const;
};

/// d described as a Device when it is a block device (disk or partition) on the USB bus,
/// by ID_BUS=usb or a USB ancestor in sysfs; nullopt otherwise.
std::optional<Device> usb_block_device(udev_device* d);

/// Every USB block device, disks and partitions, sorted by node.  False with why set
/// naming the libudev call when the enumeration fails.
bool enumerate_usb(udev* u, std::vector<Device>& out, std::string& why);

} // namespace syskit::usbtidy

// mounts: where a device is mounted, from /proc/self/mountinfo read by libmount (which
// decodes the octal escapes, "\040" for a space, that the book undoes by hand), and
// libmount's monitor of the kernel's mount table, which wakes a poll when it changes.
#pragma once

#include <libmount/libmount.h>

#include <sys/types.h>

#include <optional>
#include <string>

namespace syskit::usbtidy {

/// A mount of a device.
struct Mount {
    std::string target;  ///< the mount point, unescaped
    std::string fs_type; ///< as the kernel names it: vfat, exfat, tmpfs, ...
    dev_t devno = 0;     ///< the st_dev of files on it (mountinfo's major:minor)
};

/// The first mount of the device whose node is node or whose number is devnum (0: do not
/// match by number), as /proc/self/mountinfo lists it now.  nullopt when it is not mounted;
/// also, with why set, when the table cannot be read.
std::optional<Mount> find_mount(const std::string& node, dev_t devnum, std::string& why);

/// libmount's monitor of the kernel mount table.
class MountMonitor {
public:
    /// Throws std::system_error naming the libmount call when it cannot be set up.
    MountMonitor();
    ~MountMonitor();
    MountMonitor(const MountMonitor&) = delete;
    MountMonitor& operator=(const MountMonitor&) = delete;

    /// A descriptor that polls readable when the mount table has changed.
    int fd() const { return fd_; }
    /// Takes the pending changes, so the descriptor stops polling readable until the next.
    void drain();

private:
    libmnt_monitor* mn_ = nullptr;
    int fd_ = -1;
};

} // namespace syskit::usbtidy

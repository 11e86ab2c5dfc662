#include "mounts.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace syskit::usbtidy {

namespace {

struct TableDeleter {
    void operator()(libmnt_table* t) const { mnt_unref_table(t); }
    void operator()(libmnt_iter* i) const { mnt_free_iter(i); }
};

} // namespace

std::optional<Mount> find_mount(const std::string& node, dev_t devnum, std::string& why) {
    std::unique_ptr<libmnt_table, TableDeleter> table(mnt_new_table());
    std::unique_ptr<libmnt_iter, TableDeleter> it(mnt_new_iter(MNT_ITER_FORWARD));
    if (!table || !it) {
        why = "mnt_new_table: out of memory";
        return std::nullopt;
    }
    // NULL: the kernel's table of this process, /proc/self/mountinfo.
    if (int rc = mnt_table_parse_mtab(table.get(), nullptr); rc < 0) {
        why = std::string("mnt_table_parse_mtab(/proc/self/mountinfo): ") + std::strerror(-rc);
        return std::nullopt;
    }
    libmnt_fs* fs;
    while (mnt_table_next_fs(table.get(), it.get(), &fs) == 0) {
        const char* source = mnt_fs_get_source(fs);
        bool by_node = source && node == source;
        bool by_number = devnum != 0 && mnt_fs_get_devno(fs) == devnum;
        if (!by_node && !by_number)
            continue;
        Mount m;
        m.target = mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "";
        m.fs_type = mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "";
        m.devno = mnt_fs_get_devno(fs);
        return m;
    }
    return std::nullopt;
}

MountMonitor::MountMonitor() : mn_(mnt_new_monitor()) {
    if (!mn_)
        throw std::system_error(ENOMEM, std::generic_category(), "mnt_new_monitor");
    int rc = mnt_monitor_enable_kernel(mn_, 1);
    if (rc >= 0)
        rc = fd_ = mnt_monitor_get_fd(mn_);
    if (rc < 0) {
        mnt_unref_monitor(mn_);
        throw std::system_error(-rc, std::generic_category(), "mnt_monitor_enable_kernel");
    }
}

MountMonitor::~MountMonitor() { mnt_unref_monitor(mn_); }

void MountMonitor::drain() {
    const char* file;
    int type;
    while (mnt_monitor_next_change(mn_, &file, &type) == 0) {
    }
}

} // namespace syskit::usbtidy

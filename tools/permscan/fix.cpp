#include "fix.hpp"

#include "fs/beneath.hpp"
#include "out/text.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace syskit::permscan {

std::optional<Change> change_for(const Finding& f, bool fix_setid) {
    switch (f.check) {
    case Check::world_writable_file:
    case Check::world_writable_dir:
        return Change{"o-w", S_IWOTH, 0, false};
    case Check::writable_executable:
        return Change{"go-w", S_IWGRP | S_IWOTH, 0, false};
    case Check::group_writable:
        return Change{"g-w", S_IWGRP, 0, false};
    case Check::exposed_secret:
        if (S_ISDIR(f.mode))
            return Change{"700", 0, 0700, true};
        return Change{"600", 0, 0600, true};
    case Check::setuid:
        if (fix_setid)
            return Change{"u-s", S_ISUID, 0, false};
        return std::nullopt;
    case Check::setgid:
        if (fix_setid)
            return Change{"g-s", S_ISGID, 0, false};
        return std::nullopt;
    case Check::dangling_symlink:
    case Check::symlink_loop:
    case Check::unknown_owner:
    case Check::device_outside_dev:
    case Check::file_capabilities:
        return std::nullopt;
    }
    return std::nullopt;
}

std::string change_command(const Change& c, const std::string& path) {
    std::string cmd = "chmod " + c.chmod_arg + " ";
    if (!path.empty() && path[0] == '-')
        cmd += "-- ";
    return cmd + out::shell_quote(path);
}

ApplyResult apply_change(int root_fd, const Finding& f, const Change& c, std::string& error) {
    fs::UniqueFd fd = fs::open_beneath(root_fd, f.rel);
    if (!fd) {
        error = errno == ELOOP ? "a symbolic link now stands on its path; not followed" : std::strerror(errno);
        return ApplyResult::failed;
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) {
        error = std::strerror(errno);
        return ApplyResult::failed;
    }
    if (S_ISLNK(st.st_mode)) {
        error = "it is now a symbolic link; not followed";
        return ApplyResult::failed;
    }
    if (st.st_dev != f.id.dev || st.st_ino != f.id.ino) {
        error = "it was replaced after the scan; not changed";
        return ApplyResult::failed;
    }
    mode_t now = st.st_mode & 07777;
    mode_t want = c.exact ? c.set : ((now & ~c.clear) | c.set);
    if (want == now)
        return ApplyResult::unchanged;
    if (fs::chmod_fd(fd.get(), want) != 0) {
        error = std::strerror(errno);
        return ApplyResult::failed;
    }
    return ApplyResult::changed;
}

} // namespace syskit::permscan

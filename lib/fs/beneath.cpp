#include "fs/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

namespace syskit::fs {

namespace {

UniqueFd open_by_components(int root_fd, std::string_view rel) {
    UniqueFd dir(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (!dir)
        return {};
    std::size_t pos = 0;
    while (pos <= rel.size()) {
        std::size_t slash = rel.find('/', pos);
        bool last = slash == std::string_view::npos;
        std::string part(rel.substr(pos, last ? std::string_view::npos : slash - pos));
        pos = last ? rel.size() + 1 : slash + 1;
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            errno = EXDEV;
            return {};
        }
        int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY);
        UniqueFd next(openat(dir.get(), part.c_str(), flags));
        if (!next) {
            // O_DIRECTORY|O_NOFOLLOW on a symlink gives ENOTDIR; say what openat2 says.
            if (errno == ENOTDIR) {
                struct stat st;
                if (fstatat(dir.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                    errno = ELOOP;
            }
            return {};
        }
        dir = std::move(next);
    }
    return dir;
}

} // namespace

UniqueFd open_beneath(int root_fd, std::string_view rel) {
    if (rel.empty())
        return UniqueFd(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    std::string path(rel);
    struct open_how how = {};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0)
        return UniqueFd(static_cast<int>(fd));
    // Before Linux 5.6 there is no openat2; a path longer than PATH_MAX needs one call per component.
    if (errno != ENOSYS && errno != ENAMETOOLONG)
        return {};
    return open_by_components(root_fd, rel);
}

int chmod_fd(int path_fd, mode_t mode) {
    return ::chmod(fmt::format("/proc/self/fd/{}", path_fd).c_str(), mode);
}

} // namespace syskit::fs

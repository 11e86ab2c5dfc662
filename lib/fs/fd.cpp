#include "fs/fd.hpp"

#include <fcntl.h>

#include <algorithm>

namespace syskit::fs {

bool read_all(int fd, std::string& out, std::size_t limit) {
    out.clear();
    char buf[1 << 16];
    while (out.size() < limit) {
        ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - out.size()));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

bool read_file(const char* path, std::string& out, std::size_t limit, int dirfd, int extra_flags) {
    UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | extra_flags));
    return fd && read_all(fd.get(), out, limit);
}

} // namespace syskit::fs

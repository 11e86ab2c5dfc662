#include "fs/dir.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace syskit::fs {

DirReader DirReader::open(int dirfd, const char* path, int flags, std::span<char> buffer) {
    UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags));
    if (!fd)
        return {};
    return DirReader(std::move(fd), buffer);
}

bool DirReader::fill() {
    pos_ = end_ = 0;
    if (done_)
        return false;
    if (!fd_) {
        error_ = errno = EBADF;
        return false;
    }
    if (buffer_.empty() && !own_)
        own_ = std::make_unique_for_overwrite<char[]>(own_buffer_size);
    const std::size_t size = buffer_.empty() ? own_buffer_size : buffer_.size();
    for (;;) {
        long n = ::syscall(SYS_getdents64, fd_.get(), base(), size);
        if (n > 0) {
            end_ = static_cast<std::size_t>(n);
            error_ = 0;
            return true;
        }
        if (n == 0) {
            done_ = true;
            error_ = 0;
            own_.reset();
            return false;
        }
        if (errno != EINTR) {
            error_ = errno;
            return false;
        }
    }
}

} // namespace syskit::fs

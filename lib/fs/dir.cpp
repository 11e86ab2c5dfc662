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
    if (!buf_) {
        own_ = std::make_unique_for_overwrite<char[]>(own_buffer_size);
        buf_ = own_.get();
        size_ = own_buffer_size;
    }
    for (;;) {
        long n = ::syscall(SYS_getdents64, fd_.get(), buf_, size_);
        if (n > 0) {
            end_ = static_cast<std::size_t>(n);
            error_ = 0;
            return true;
        }
        if (n == 0) {
            done_ = true;
            error_ = 0;
            free_own();
            return false;
        }
        if (errno != EINTR) {
            error_ = errno;
            return false;
        }
    }
}

} // namespace syskit::fs

// fd: a file descriptor that closes itself.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace syskit::fs {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    /// Gives the descriptor up without closing it.
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

/// Writes all size bytes of data, going on after short writes and EINTR.  False with errno
/// set when a write fails.
inline bool write_all(int fd, const void* data, std::size_t size) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

/// Reads fd from where it stands to end of file, or until out holds limit bytes, into out
/// (replacing what it held), going on after short reads and EINTR.  False with errno set
/// when a read fails.
bool read_all(int fd, std::string& out, std::size_t limit = SIZE_MAX);

/// Opens path (relative to dirfd, read-only, close-on-exec, never as a controlling terminal,
/// plus extra_flags such as O_NOFOLLOW or O_NONBLOCK) and reads it as read_all does.  False
/// with errno set when the open or a read fails.
bool read_file(const char* path, std::string& out, std::size_t limit = SIZE_MAX, int dirfd = AT_FDCWD,
               int extra_flags = 0);

} // namespace syskit::fs

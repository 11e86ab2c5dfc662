#include "fs/fifo.hpp"

#include <fmt/format.h>

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace syskit::fs {

namespace {

const char* kind(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFLNK: return "a symbolic link";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "an unknown kind of file";
    }
}

} // namespace

std::string fifo_problem(const struct stat& st, uid_t owner) {
    if (!S_ISFIFO(st.st_mode))
        return fmt::format("is not a FIFO ({})", kind(st.st_mode));
    if (st.st_uid != owner)
        return fmt::format("is owned by uid {}, not {}: refusing a FIFO another user may have planted", st.st_uid,
                           owner);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return fmt::format("can be written by other users (mode {:04o})", st.st_mode & 07777);
    return {};
}

bool make_fifo(const std::string& dir, const std::string& prefix, mode_t mode, std::string& path,
               std::string& error) {
    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd) {
        error = fmt::format("{}: open: {}", dir, std::strerror(errno));
        return false;
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
        unsigned char bytes[8];
        if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
            error = fmt::format("getrandom: {}", std::strerror(errno));
            return false;
        }
        std::string name = prefix + '.';
        for (unsigned char b : bytes)
            name += fmt::format("{:02x}", b);
        std::string full = dir.empty() || dir.back() == '/' ? dir + name : dir + '/' + name;
        // Created with no permission at all, so that nobody can open it before its mode is set.
        if (::mkfifoat(dirfd.get(), name.c_str(), 0) != 0) {
            if (errno == EEXIST)
                continue;
            error = fmt::format("{}: mkfifo: {}", full, std::strerror(errno));
            return false;
        }
        // mkfifo's mode passes through the umask; the mode asked for is set exactly.
        if (::fchmodat(dirfd.get(), name.c_str(), mode & 07777, 0) != 0) {
            int err = errno;
            ::unlinkat(dirfd.get(), name.c_str(), 0);
            error = fmt::format("{}: chmod: {}", full, std::strerror(err));
            return false;
        }
        path = full;
        return true;
    }
    error = fmt::format("{}: mkfifo: every name tried exists", dir);
    return false;
}

UniqueFd open_fifo(const std::string& path, const FifoOpen& how, std::string& error) {
    // Looked at before it is opened, through O_PATH, so that a device planted under the
    // name is never opened (opening some has effects, a tape rewinds); the open below is
    // checked again, in case the name changed in between.
    struct stat before;
    {
        UniqueFd path_fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!path_fd || ::fstat(path_fd.get(), &before) != 0) {
            int err = errno;
            error = fmt::format("{}: open: {}", path, std::strerror(err));
            errno = err;
            return {};
        }
        if (S_ISLNK(before.st_mode)) {
            error = fmt::format("{}: is a symbolic link: refusing to follow it", path);
            errno = ELOOP;
            return {};
        }
        if (auto problem = fifo_problem(before, how.owner); !problem.empty()) {
            error = fmt::format("{}: {}", path, problem);
            errno = EPERM;
            return {};
        }
    }
    int flags = (how.write ? O_WRONLY : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::milliseconds(1);
    UniqueFd fd;
    for (;;) {
        fd.reset(::open(path.c_str(), flags));
        if (fd)
            break;
        int err = errno;
        // ENXIO: a non-blocking writer and no reader yet.  Anything else is final.
        if (err != ENXIO || !how.write) {
            error = err == ELOOP ? fmt::format("{}: is a symbolic link: refusing to follow it", path)
                                 : fmt::format("{}: open: {}", path, std::strerror(err));
            errno = err;
            return {};
        }
        std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
        if (how.timeout >= 0 && waited.count() >= how.timeout) {
            error = fmt::format("{}: no reader after {} s", path, how.timeout);
            errno = ETIMEDOUT;
            return {};
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
        int err = errno;
        error = fmt::format("{}: fstat: {}", path, std::strerror(err));
        errno = err;
        return {};
    }
    if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
        error = fmt::format("{}: was replaced while it was being opened", path);
        errno = EPERM;
        return {};
    }
    if (auto problem = fifo_problem(st, how.owner); !problem.empty()) {
        error = fmt::format("{}: {}", path, problem);
        errno = EPERM;
        return {};
    }
    return fd;
}

} // namespace syskit::fs

#include "lockfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace syskit::fdlock {

namespace {

constexpr mode_t file_mode = 0644;

std::string because(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

/// Why a FIFO or a socket cannot be a lock file, or empty for any other type.
std::string not_lockable(mode_t mode) {
    if (S_ISFIFO(mode))
        return "is a FIFO (named pipe), not a file to lock: give a regular file";
    if (S_ISSOCK(mode))
        return "is a socket, not a file to lock: give a regular file";
    return {};
}

} // namespace

Opened open_lock_file(const std::string& path, lock::Mode mode, bool create) {
    const bool shared = mode == lock::Mode::shared;
    const int flags = (shared ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    Opened r;
    // Opening first without O_CREAT: the lock file is there on every run but the first.
    r.fd.reset(open(path.c_str(), flags));
    struct stat st;
    if (r.fd) {
        // A FIFO opens for reading (O_NONBLOCK), but its locks would guard nothing.
        if (fstat(r.fd.get(), &st) == 0 && !(r.why = not_lockable(st.st_mode)).empty())
            r.fd.reset();
        return r;
    }
    int err = errno;
    // Opened for writing without a reader, a FIFO fails with ENXIO, as a socket always does.
    if (err == ENXIO && stat(path.c_str(), &st) == 0 && !(r.why = not_lockable(st.st_mode)).empty())
        return r;
    if (err == ENOENT && create) {
        r.fd.reset(open(path.c_str(), flags | O_CREAT | O_EXCL, file_mode));
        if (r.fd) {
            // The umask may have taken bits away; other users' fdlock -s must be able to read it.
            fchmod(r.fd.get(), file_mode);
            return r;
        }
        err = errno;
        if (err == EEXIST) {
            // Another fdlock created it in between, or it is a symbolic link.
            r.fd.reset(open(path.c_str(), flags));
            if (r.fd)
                return r;
            err = errno;
            if (err == ENOENT) {
                r.why = "a dangling symbolic link: not creating its target";
                return r;
            }
        }
        r.why = because("cannot create the lock file", err);
        return r;
    }
    if (err == EISDIR) {
        r.why = "is a directory, which cannot be opened for writing as an exclusive lock needs: "
                "take a shared lock (-s), or lock a file";
        return r;
    }
    if (err == EACCES && !shared) {
        r.why = because("cannot open for writing, which an exclusive lock needs", err);
        return r;
    }
    r.why = because("cannot open the lock file", err);
    return r;
}

std::string bad_descriptor_reason(int fd, lock::Mode mode) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return std::strerror(errno);
    if (fl & O_PATH)
        return "opened with O_PATH, which cannot be locked";
    int access = fl & O_ACCMODE;
    if (mode == lock::Mode::exclusive && access == O_RDONLY)
        return "an exclusive lock needs the descriptor open for writing (exec FD>FILE or FD<>FILE)";
    if (mode == lock::Mode::shared && access == O_WRONLY)
        return "a shared lock needs the descriptor open for reading (exec FD<FILE or FD<>FILE)";
    return std::strerror(EBADF);
}

} // namespace syskit::fdlock

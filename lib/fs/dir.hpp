// dir: reading a directory's entries with getdents64(2), through a descriptor the reader owns.
//
// One getdents64 call fills a buffer with as many entries as fit; next() hands them out one by
// one and calls again when the buffer is used up, so a directory of any size costs one call per
// buffer, not one per entry.  What readdir(3) leaves to errno it says plainly: whether the
// listing stopped at the end or on an error, and which.  The descriptor serves openat(2),
// statx(2) and the like on the entries' names while the listing runs and after it, and a
// buffer the caller provides lets one thread list directory after directory without
// allocating (the walker's case).
#pragma once

#include "fs/fd.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

namespace syskit::fs {

/// The S_IFMT bits of a getdents64 d_type (DT_REG gives S_IFREG, ...); 0 for DT_UNKNOWN,
/// which file systems that do not store types give.
inline mode_t dirent_type(unsigned char d_type) {
    switch (d_type) {
    case DT_REG: return S_IFREG;
    case DT_DIR: return S_IFDIR;
    case DT_LNK: return S_IFLNK;
    case DT_FIFO: return S_IFIFO;
    case DT_SOCK: return S_IFSOCK;
    case DT_CHR: return S_IFCHR;
    case DT_BLK: return S_IFBLK;
    default: return 0;
    }
}

/// One entry of a directory, valid until the next call to its reader's next(), or the
/// reader's end.
struct DirEntry {
    std::string_view name; ///< the name, bytes as the kernel gave them; name.data() is NUL-terminated
    mode_t type = 0;       ///< the S_IFMT bits, 0 when the file system does not say (then statx tells)
    ino_t ino = 0;         ///< the inode number the directory records: for a mount point, that of
                           ///< the directory mounted over, not of the mounted root
};

class DirReader {
public:
    /// Bytes of the buffer a reader allocates for itself when given none: what glibc's
    /// readdir(3) uses.
    static constexpr std::size_t own_buffer_size = 32 * 1024;

    /// A reader of nothing: next() fails with EBADF.
    DirReader() = default;
    /// Reads the directory fd is open on (for reading, as O_RDONLY | O_DIRECTORY gives), from
    /// where its offset stands, and closes it at the end of the reader.
    ///
    /// buffer: where getdents64 puts the entries, at least as large as one entry (a name of
    /// 255 bytes takes 280); the caller keeps it alive, and unshared, while this reader lists.
    /// One buffer per thread can serve every reader that thread runs in turn.  When none is
    /// given, the reader allocates own_buffer_size bytes at its first read and frees them when
    /// the listing ends, so a reader kept for its descriptor holds no buffer.
    explicit DirReader(UniqueFd fd, std::span<char> buffer = {})
        : fd_(std::move(fd)), buf_(buffer.empty() ? nullptr : buffer.data()), size_(buffer.size()) {}

    /// Opens path, relative to dirfd (AT_FDCWD: the working directory), with O_RDONLY |
    /// O_DIRECTORY | O_CLOEXEC plus flags (O_NOFOLLOW, O_NONBLOCK, ...), and reads it as the
    /// constructor says.  A reader that is false, with errno set (ENOENT, EACCES, ENOTDIR,
    /// which a symbolic link under O_NOFOLLOW gives too, ...), when openat fails.
    static DirReader open(int dirfd, const char* path, int flags = 0, std::span<char> buffer = {});

    /// The moved-to reader goes on where the moved-from one stood; that one reads nothing.
    DirReader(DirReader&& o) noexcept { take_over(o); }
    DirReader& operator=(DirReader&& o) noexcept {
        if (this != &o)
            take_over(o);
        return *this;
    }
    DirReader(const DirReader&) = delete;
    DirReader& operator=(const DirReader&) = delete;

    /// Whether the reader holds a descriptor.
    explicit operator bool() const { return static_cast<bool>(fd_); }
    /// The directory's descriptor, for *at() calls on the entries' names; -1 when closed.
    int fd() const { return fd_.get(); }

    /// The next entry, "." and ".." left out, in the order the file system gives (no
    /// sorting).  nullptr at the end of the directory or when getdents64 fails: error() tells
    /// which.  After the end, nullptr again without a system call.
    const DirEntry* next() {
        for (;;) {
            if (pos_ == end_ && !fill())
                return nullptr;
            if (take())
                return &entry_;
        }
    }

    /// 0 while listing and after the end of the directory; else the errno of the getdents64
    /// call that failed (EBADF with no descriptor, ENOTDIR for a descriptor on another kind
    /// of file, EINVAL for a buffer smaller than an entry, ENOENT for a directory removed
    /// since it was opened), which errno holds too.
    int error() const { return error_; }

    /// Closes the descriptor now, and frees the reader's own buffer; next() then fails with
    /// EBADF.
    void close() {
        fd_.reset();
        free_own();
        pos_ = end_ = 0;
        done_ = false;
    }

private:
    /// Calls getdents64 (again after EINTR).  True when it gave records, now at pos_ < end_;
    /// false at the end (done_ set, an own buffer freed) or on an error (error_ and errno set).
    bool fill();

    /// The record at pos_ into entry_, pos_ moved past it.  False for "." and "..".
    bool take() {
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        // read with memcpy, so the caller's buffer needs no alignment.
        const char* rec = buf_ + pos_;
        unsigned short reclen;
        std::memcpy(&reclen, rec + 16, sizeof reclen);
        pos_ += reclen;
        const char* name = rec + 19;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            return false;
        std::uint64_t ino;
        std::memcpy(&ino, rec, sizeof ino);
        entry_.name = std::string_view(name, std::strlen(name));
        entry_.type = dirent_type(static_cast<unsigned char>(rec[18]));
        entry_.ino = static_cast<ino_t>(ino);
        return true;
    }

    void free_own() {
        if (own_) {
            own_.reset();
            buf_ = nullptr;
            size_ = 0;
        }
    }

    void take_over(DirReader& o) {
        fd_ = std::move(o.fd_);
        own_ = std::move(o.own_);
        buf_ = std::exchange(o.buf_, nullptr);
        size_ = std::exchange(o.size_, 0);
        pos_ = std::exchange(o.pos_, 0);
        end_ = std::exchange(o.end_, 0);
        error_ = std::exchange(o.error_, 0);
        done_ = std::exchange(o.done_, false);
        entry_ = o.entry_;
    }

    UniqueFd fd_;
    char* buf_ = nullptr;  ///< the caller's buffer, or own_, or nullptr until the first read
    std::size_t size_ = 0; ///< of buf_
    std::unique_ptr<char[]> own_;
    std::size_t pos_ = 0, end_ = 0; ///< the records of the last getdents64 call not yet taken
    int error_ = 0;
    bool done_ = false; ///< getdents64 said the end
    DirEntry entry_;
};

} // namespace syskit::fs

#include "writers.hpp"

#include "fs/dir.hpp"
#include "fs/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace syskit::logroll {

namespace {

bool all_digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

/// The access mode in fdinfo's "flags:\t0100001" line (octal); -1 when unreadable, as when
/// the descriptor was closed meanwhile.
int access_mode(int pid_dir, std::string_view fd) {
    std::string text;
    if (!fs::read_file(("fdinfo/" + std::string(fd)).c_str(), text, 4096, pid_dir))
        return -1;
    auto at = text.find("flags:");
    if (at == std::string::npos)
        return -1;
    return static_cast<int>(std::strtol(text.c_str() + at + 6, nullptr, 8) & O_ACCMODE);
}

} // namespace

bool open_for_writing(dev_t dev, ino_t ino) {
    fs::DirReader procs = fs::DirReader::open(AT_FDCWD, "/proc");
    while (const fs::DirEntry* p = procs.next()) {
        if (!all_digits(p->name))
            continue;
        fs::UniqueFd pid_dir(::openat(procs.fd(), p->name.data(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!pid_dir)
            continue; // gone, or not ours to look at
        fs::DirReader fds = fs::DirReader::open(pid_dir.get(), "fd");
        while (const fs::DirEntry* f = fds.next()) {
            if (!all_digits(f->name))
                continue;
            // stat follows the magic link to the open file itself, even an unlinked one.
            struct stat st{};
            if (::fstatat(fds.fd(), f->name.data(), &st, 0) != 0 || st.st_dev != dev || st.st_ino != ino)
                continue;
            int mode = access_mode(pid_dir.get(), f->name);
            if (mode == O_WRONLY || mode == O_RDWR)
                return true;
        }
    }
    return false;
}

bool open_for_writing(int dirfd, const char* name) {
    struct stat st{};
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    return open_for_writing(st.st_dev, st.st_ino);
}

} // namespace syskit::logroll

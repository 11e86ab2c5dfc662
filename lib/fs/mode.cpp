#include "fs/mode.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace syskit::fs {

std::string mode_string(mode_t mode) {
    std::string s(10, '-');
    switch (mode & S_IFMT) {
    case S_IFDIR: s[0] = 'd'; break;
    case S_IFLNK: s[0] = 'l'; break;
    case S_IFCHR: s[0] = 'c'; break;
    case S_IFBLK: s[0] = 'b'; break;
    case S_IFIFO: s[0] = 'p'; break;
    case S_IFSOCK: s[0] = 's'; break;
    default: break;
    }
    const char rwx[] = "rwx";
    for (int i = 0; i < 9; ++i)
        if (mode & (0400 >> i))
            s[1 + i] = rwx[i % 3];
    auto special = [&](int pos, mode_t bit, char with_x, char without_x) {
        if (mode & bit)
            s[pos] = s[pos] == 'x' ? with_x : without_x;
    };
    special(3, S_ISUID, 's', 'S');
    special(6, S_ISGID, 's', 'S');
    special(9, S_ISVTX, 't', 'T');
    return s;
}

std::string mode_octal(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

} // namespace syskit::fs

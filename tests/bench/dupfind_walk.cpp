// dupfind-walk: dupfind's walk-and-group phase alone (dupfind::candidates: the parallel walk,
// a statx per regular file, grouping by size and inode), nothing read or hashed, so that
// scripts/bench/dupfind.sh can divide its time by walk-floor's.
//
//   dupfind-walk PATH...
//
// Prints "FILES candidate files in CLASSES size classes".  Threads: one per CPU, as dupfind's
// default and walk-floor's.
#include "dupfind/finder.hpp"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: dupfind-walk PATH...\n");
        return 2;
    }
    syskit::dupfind::FindOptions opt;
    for (int i = 1; i < argc; ++i)
        opt.walk.roots.emplace_back(argv[i]);
    bool failed = false;
    const auto found = syskit::dupfind::candidates(
        opt,
        [&](std::string_view path, int err) {
            std::fprintf(stderr, "dupfind-walk: %.*s: %s\n", static_cast<int>(path.size()), path.data(),
                         std::strerror(err));
            failed = true;
        },
        nullptr);
    std::printf("%zu candidate files in %zu size classes\n", found.files, found.classes);
    return failed ? 2 : 0;
}

// walk: a parallel directory tree walker (openat, getdents64, statx) in the spirit of bfs's bftw.
#pragma once

#include "fs/glob.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::fs {

/// What identifies a file: its device and inode numbers.
struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const FileId&) const = default;
};

struct FileIdHash {
    std::size_t operator()(const FileId& id) const {
        return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(id.ino) * 0x9E3779B97F4A7C15ull ^ id.dev);
    }
};

/// The identity statx reported.
inline FileId file_id(const struct statx& st) {
    return {makedev(st.stx_dev_major, st.stx_dev_minor), static_cast<ino_t>(st.stx_ino)};
}

enum WalkFlags : unsigned {
    /// Follow every symbolic link (find -L).  Directory cycles are detected and reported
    /// as ELOOP entries instead of being walked again.
    walk_follow = 1u << 0,
    /// Follow symbolic links named as roots, and no others (find -H).
    walk_follow_roots = 1u << 1,
    /// Do not descend into directories on other file systems than their root (find -xdev).
    walk_one_fs = 1u << 2,
    /// statx every entry, so Entry::st is always set when the call succeeded.  Without it
    /// entries carry only the type getdents64 gave, and st is set when the walker itself
    /// needed a statx (unknown type, a directory, following links).
    walk_stat = 1u << 3,
};

/// What a visit callback tells the walker.
enum class Action {
    next,  ///< go on, and descend if this is a directory
    prune, ///< go on, but do not descend into this directory
    stop,  ///< end the walk as soon as possible
};

/// One entry of the tree, valid only during the callback.
struct Entry {
    std::string_view path;  ///< the root as given joined with the names below it
    std::string_view name;  ///< the last component; for a root, the root as given
    int dirfd;              ///< the directory holding the entry, open during the callback
                            ///< (AT_FDCWD for a root): use it with at_name for *at() calls
    std::string_view at_name; ///< the entry's name relative to dirfd (NUL-terminated)
    std::size_t root;       ///< index of the root the entry was found under
    int depth;              ///< 0 for a root, 1 for its children, ...
    mode_t type;            ///< the S_IFMT bits (after following, when following), 0 if unknown
    const struct statx* st; ///< the entry's metadata, or nullptr (see walk_stat)
    /// 0, or the errno of what failed: statx of a root (ENOENT for a missing one) or of an
    /// entry (EACCES in a directory that can be listed but not searched), opening or reading
    /// a directory (then the directory is visited a second time with error set), ELOOP for a
    /// directory that is its own ancestor when following links.
    int error;
    /// Which worker thread makes this call, from 0 to walk_threads() - 1: an index into
    /// per-thread accumulators, so callbacks can tally without a lock.
    unsigned worker = 0;
    /// When following links: the errno of following this symbolic link when that failed
    /// (ELOOP for a loop of links, ENOENT for a dangling one), the entry then being the
    /// link itself; 0 otherwise.
    int link_error = 0;
    /// For a directory that is one of its own ancestors without any link followed (a bind
    /// mount of an ancestor below it): that ancestor's path.  error is then ELOOP, the
    /// directory is visited this once and not entered.  Empty otherwise.
    std::string_view loop_of = {};
};

/// What went wrong with an entry whose error is set, in words: "File system loop
/// detected; it is ANCESTOR again" for loop_of, strerror(error) otherwise.
std::string entry_error(const Entry& e);

struct WalkOptions {
    std::vector<std::string> roots;
    unsigned flags = 0;  ///< WalkFlags
    int max_depth = -1;  ///< deepest level visited; -1 for no limit, 0 for the roots alone
    GlobSet exclude;     ///< entries below a root that match are neither visited nor entered
    unsigned threads = 0; ///< worker threads; 0 for the number of online CPUs
    /// Worker threads added, this many at once, when the walk finds itself waiting for the
    /// disk: when a quarter of the directories listed so far (8 at least) took longer to
    /// open and read the first entries of than a cached directory does (a cold cache, where
    /// each waits for a disk read): more threads then keep more reads in flight.  0: none.
    unsigned io_threads = 0;
    unsigned statx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID |
                          STATX_MTIME | STATX_INO | STATX_SIZE | STATX_BLOCKS;
};

/// Counts a progress line can read while the walk runs.
struct WalkCounters {
    std::atomic<std::uint64_t> entries{0};
    std::atomic<std::uint64_t> dirs{0};
};

/// The part of path below root, for an entry the walker found under root: "a/b" for
/// path "r/a/b" and root "r" or "r/"; "" for the root itself.  With fs::open_beneath it
/// reaches the entry again from a descriptor of the root, whatever the path's length.
inline std::string_view below_root(std::string_view path, std::string_view root) {
    if (path.size() <= root.size())
        return {};
    return path.substr(root.size() + (root.back() == '/' ? 0 : 1));
}

/// The number of worker threads a walk with these options may run: threads (or one per
/// CPU) plus io_threads.
unsigned walk_threads(const WalkOptions& options);

/// The callback, called from several worker threads at once: it must be thread-safe.
using Visit = std::function<Action(const Entry&)>;

/// Walks every root, calling visit for each entry (pre-order: a directory before what it
/// holds, in no fixed order between siblings or between threads).
///
/// A directory is never entered twice on one path from its root: its (device, inode) is
/// compared with its ancestors' where it can repeat one, at a mount point (bind mounts),
/// and, when following links, everywhere.  Each directory met below a root is therefore
/// statx'd, with or without walk_stat.
///
/// Directories are opened relative to their parent's descriptor (openat with O_NOFOLLOW
/// unless following), so a path's length or depth is never limited by PATH_MAX or by the
/// C++ stack: the pending directories live in a work list, not in recursion.  An entry that
/// cannot be read is passed to visit with its errno and the walk goes on.
///
/// counters: optional, updated as entries are seen.  Returns false when a visit stopped the walk.
bool walk(const WalkOptions& options, const Visit& visit, WalkCounters* counters = nullptr);

} // namespace syskit::fs

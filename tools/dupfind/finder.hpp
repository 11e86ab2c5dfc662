// finder: walk, group by size, set hard links aside, hash a prefix, hash in full, verify.
#pragma once

#include "fs/glob.hpp"
#include "fs/walk.hpp"
#include "cache.hpp"
#include "hash.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <string>
#include <vector>

namespace syskit::dupfind {

// The groups find_duplicates makes keep their files and names, and the names their paths, in
// the memory of a HugeArena (huge.hpp) the groups share (Group::memory); a copy of one is
// made in ordinary memory, as any std::pmr container's copy.

/// One name of a regular file.
struct Name {
    std::pmr::string path; ///< as printed: the root joined with the names below it
    std::uint32_t root;   ///< index of the root it was found under
    /// Where the last component starts in path: path[0, base - 1) is the directory.
    std::uint32_t base;
    /// Found with -L: the name may be a symlink to the file, to be followed when opened.
    bool follow = false;

    /// The directory holding the file, as a path to open.
    std::string dir() const {
        return base == 0 ? "." : base == 1 ? "/" : std::string(std::string_view(path).substr(0, base - 1));
    }
};

/// One file (an inode) and every name the walk found for it.
struct File {
    fs::FileId id;
    std::uint64_t size = 0;
    std::int64_t mtime_sec = 0;
    std::uint32_t mtime_nsec = 0;
    std::int64_t ctime_sec = 0;
    std::uint32_t ctime_nsec = 0;
    std::pmr::vector<Name> names; ///< sorted by root, then path
};

/// Files with the same content: two or more distinct inodes.
struct Group {
    /// What holds digest and files (and their names) when find_duplicates made them: first,
    /// so that it goes last.  Empty for memory of the default resource.
    std::shared_ptr<std::pmr::memory_resource> memory;
    std::uint64_t size = 0;
    std::pmr::string digest; ///< raw bytes of the full-content hash
    std::pmr::vector<File> files;
};

struct FindOptions {
    fs::WalkOptions walk;      ///< roots, -x, --max-depth, --exclude, --follow, threads
    fs::GlobSet include;       ///< when not empty, only files matching it are considered
    std::uint64_t min_size = 1; ///< 0 with --empty
    std::uint64_t max_size = UINT64_MAX;
    HashKind hash = HashKind::xxh3;
    bool verify = false;       ///< compare the bytes of every group, not just hashes
    /// --cache: hashes from earlier runs, taken instead of reading a file whose key
    /// (device, inode, size, mtime, ctime) is unchanged.
    const HashCache* cache = nullptr;
    /// When set, gets the key and hashes of every file hashed by this run (and of cache
    /// records last used more than a day ago), for save_cache.
    std::vector<std::pair<CacheKey, CacheHashes>>* learned = nullptr;
    /// Told, when set, of a directory skipped because it repeats one of its ancestors (a
    /// bind mount of an ancestor below it): path and what to say.  Nothing is missing
    /// from the result for it, so it is not an error.
    std::function<void(std::string_view path, std::string_view message)> warn;
};

/// What a progress line shows while find() runs.
struct FindCounters {
    fs::WalkCounters walk;
    std::atomic<std::uint64_t> files{0};
    std::atomic<std::uint64_t> bytes_hashed{0};
    std::atomic<std::uint64_t> groups{0};
};

/// Called, from any thread, for each entry that cannot be read: path and errno, ESTALE
/// for a file that changed (inode, size or mtime) between the walk and its reading.
using OnError = std::function<void(std::string_view path, int err)>;

/// Finds the groups of identical files below options.walk.roots.  Directories, symlinks
/// (unless following), FIFOs, sockets and devices are never opened.  Files of at most
/// prefix_size bytes are read by the walk while it has their directory open, as long as
/// they come from the page cache and the hash cache holds nothing for them; once many do not (a cold cache), the walk reads nothing
/// more.  After it, only files with several candidates of their size are read: first
/// prefix_size bytes, then, for those still colliding, all of them; each pass in the order
/// the data lies on the disk (reader.hpp), with read-ahead hints when the cache was found
/// cold.  Files that change or vanish are reported and left out.  Groups come sorted by
/// their first name.
std::vector<Group> find_duplicates(const FindOptions& options, const OnError& on_error, FindCounters* counters);

/// What candidates() found.
struct CandidateCount {
    std::size_t files = 0;   ///< inodes whose size another inode has
    std::size_t classes = 0; ///< sizes two or more inodes have
};

/// The walk and the grouping by size that find_duplicates starts with: the files (names of
/// one inode together) of each size that two or more have, in range and matching include,
/// counted.  Nothing is read (find_duplicates's walk also reads the small files it finds
/// cached).  tests/bench/dupfind_walk.cpp times it against the walk's floor.
CandidateCount candidates(const FindOptions& options, const OnError& on_error, FindCounters* counters);

/// How much of a file the first hashing pass reads.
inline constexpr std::uint64_t prefix_size = 4096;

/// Opens a file found by the walk for reading, without following a symlink at the end,
/// never blocking on a FIFO swapped in, and checks it is still the inode f with the size
/// and mtime the walk saw.  Returns -1 with errno set otherwise (ESTALE when it changed).
int open_unchanged(const File& f, const Name& name, const std::vector<std::string>& roots);

/// Whether the files open on a and b have the same bytes (size bytes each).
bool same_bytes(int a, int b, std::uint64_t size, int& err);

} // namespace syskit::dupfind

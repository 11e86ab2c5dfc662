// tally: adding up the sizes a walk finds, per tree and per directory, hard links once.
#pragma once

#include "fs/walk.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace syskit::dirsize {

struct TallyOptions {
    bool apparent = false;        ///< st_size (du -b) instead of st_blocks * 512 (du)
    bool per_directory = false;   ///< keep every directory's total (--depth, --top)
    std::size_t largest_files = 0; ///< keep the N largest files (--top N --files)
    bool one_file_system = false; ///< count nothing on another file system than the root's
    /// Keep every entry that is not a directory, with its size (-a): RootTotal::entries.
    bool all_entries = false;
    /// The walk follows symbolic links (-L): as du -L, every file and directory counts once
    /// however many paths reach it, the first met; a directory met again is not entered.
    bool follow = false;
    /// Remember every file and directory counted, so a later root counts none of them
    /// again (du(1) with several operands); needed only with more than one root.
    bool remember_all = false;
};

struct Sized {
    std::string path;
    std::uint64_t size = 0; ///< bytes: disk usage or apparent size
    int depth = 0;
};

/// The result for one root.
struct RootTotal {
    Sized total;
    bool found = false;               ///< the root itself could be read, and was not counted before
    std::uint64_t errors = 0;         ///< entries that could not be read
    std::vector<Sized> directories;   ///< every directory with its subtree's size (per_directory)
    std::vector<Sized> files;         ///< the largest files, largest first (largest_files)
    std::vector<Sized> entries;       ///< every entry counted that is not a directory (all_entries)
};

/// Adds up one root at a time.  A file with several hard links is counted once, under the
/// name that sorts first, whichever thread met it first: totals and breakdowns do not
/// depend on thread timing (following links, the totals do not; which path a file counts
/// under does).  With remember_all, as with du(1), a later root counts nothing
/// an earlier one did.
class Tally {
public:
    explicit Tally(TallyOptions options) : opt_(std::move(options)) {}

    /// Walks root with walk_options (roots replaced by root), reporting entries that cannot
    /// be read through on_error (following links: a link that cannot be followed,
    /// fs::Entry::link_error), and returns its total.  A directory that repeats one of its
    /// ancestors (fs::Entry::loop_of, a bind mount) goes to on_error too, but is not an
    /// error: it is skipped, as du(1) skips it, and the total stays complete.
    RootTotal walk(const std::string& root, fs::WalkOptions walk_options,
                   const std::function<void(const fs::Entry&)>& on_error, fs::WalkCounters* counters);

private:
    struct Worker;
    TallyOptions opt_;
    /// With remember_all: everything earlier roots counted.
    std::unordered_set<fs::FileId, fs::FileIdHash> counted_;
    /// With follow: everything this walk counted, shared by its threads.
    std::mutex seen_mu_;
    std::unordered_set<fs::FileId, fs::FileIdHash> seen_;
};

/// Orders paths as du(1) prints directories: depth first, a directory after what it holds,
/// siblings by name (bytes).
bool post_order_less(std::string_view a, std::string_view b);

} // namespace syskit::dirsize

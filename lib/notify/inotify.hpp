// inotify: watching whole trees with inotify(7), with no gap for new directories (book chapter 5).
#pragma once

#include "fs/fd.hpp"
#include "fs/glob.hpp"

#include <sys/inotify.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace syskit::notify {

/// Event names as inotifywait(1) prints them, with their masks: "CREATE" IN_CREATE, ...
struct EventName {
    std::string_view name;
    std::uint32_t mask;
};
const std::vector<EventName>& event_names();

/// The events of mask as "CREATE,ISDIR".
std::string mask_names(std::uint32_t mask);

/// Parses a list of event names as -e takes them, lower case, comma-separated:
/// create, modify, delete, move, moved_from, moved_to, attrib, close_write, close_nowrite,
/// close, open, access, delete_self, move_self, unmount (which the kernel sends whether
/// asked or not; asked, it is reported), all.  Returns 0 and names the bad one in
/// bad when one is unknown.
std::uint32_t parse_events(std::string_view list, std::string& bad);

/// One raw record of the kernel's event stream.
struct RawEvent {
    int wd;
    std::uint32_t mask;
    std::uint32_t cookie;
    std::string_view name; ///< without its NUL padding; empty for the watched object itself
};

/// Splits what read(2) returned from an inotify descriptor into its records: each a
/// struct inotify_event followed by len bytes of name, NUL-padded.  Stops, returning
/// false, at a record that runs past the end or a name without its NUL, so a short or
/// corrupt buffer can never be read beyond.
bool parse_records(const char* buf, std::size_t size, const std::function<void(const RawEvent&)>& each);

/// What a Watcher reports.
struct Event {
    std::string path;      ///< the file or directory the event is about
    std::string from;      ///< for a move paired by cookie: where it came from (path is the new name)
    std::uint32_t mask = 0; ///< IN_* bits; IN_MOVED_FROM|IN_MOVED_TO for a paired move
    bool is_dir = false;
    bool synthetic = false; ///< found by a scan (a new directory, a rescan), not told by the kernel
};

/// A diagnostic: the path concerned and what happened.
using Report = std::function<void(std::string_view path, std::string_view message)>;

/// inotify watches on files and directories, recursive when asked.
///
/// With recursion every directory below a root gets a watch.  A directory created or
/// moved into a watched one gets its watch at once and is then scanned: what was made in
/// a created one before the watch landed is reported with synthetic events, those of the
/// mask among create (every entry), modify (a regular file that is not empty) and
/// close_write (a regular file), in that order; what a directory moved in holds, with
/// synthetic creates.  The kernel's create for such an entry is dropped, so each
/// create is reported once; a file still open for writing when the scan found it gets the
/// kernel's close_write later as well, so a close_write is never missed but may come twice.
/// A queue overflow (IN_Q_OVERFLOW) is reported with the size of the queue, every root is
/// rescanned, lost watches come back and what the rescan finds is reported as synthetic
/// creates.  Not thread-safe: one thread reads events.
class Watcher {
public:
    /// mask: the IN_* events to report; recursive: watch every directory below the roots;
    /// exclude: entries below a root matching it are neither watched nor reported.
    Watcher(std::uint32_t mask, bool recursive, fs::GlobSet exclude, Report report);

    /// The inotify descriptor, non-blocking: poll it for readability, then read_events().
    int fd() const { return fd_.get(); }

    /// Watches root (and, recursive, every directory below it, set up by a parallel walk).
    /// Returns false, having reported why, when root cannot be watched or the watches ran
    /// out below it; another directory below it that cannot be is reported and skipped.  ENOSPC names the limit to raise and how many
    /// watches the tree needs.
    bool add_root(const std::string& root);

    /// Number of watches held.
    std::size_t watches() const { return paths_.size(); }

    /// Reads what the kernel has queued (without blocking) and appends the events, paired
    /// moves and synthetic creates to out.  A move whose other half is not in this read is
    /// held for the next call or for flush().  Returns false when reading failed.
    bool read_events(std::vector<Event>& out);

    /// Appends moves still waiting for their other half, as plain moved_from events (the
    /// file left the watched tree) and moved_to ones.
    void flush(std::vector<Event>& out);

    /// Whether a move waits for its other half.
    bool pending() const { return !pending_from_.empty(); }

private:
    int add_watch(const std::string& path);
    /// Watches root and, recursive, every directory below; found (when report_found) gets a
    /// synthetic create for each entry below root.  False when the watches ran out (reported).
    bool watch_tree(const std::string& root, bool report_found, std::vector<Event>* found);
    void handle(const RawEvent& raw, std::vector<Event>& out);
    /// Watches a directory that appeared in the tree and reports what it holds: made_here
    /// for one created in the tree (what it holds may have been written there too), false
    /// for one moved in from outside (creates only).
    void watch_new_directory(const std::string& path, bool made_here, std::vector<Event>& out);
    void rescan(std::vector<Event>& out);
    /// Appends, for each entry a scan found, a synthetic event of each kind in kinds and the
    /// mask that it may have had (found[i].mask) before its watch landed.
    void synthesize(const std::vector<Event>& found, std::uint32_t kinds, std::vector<Event>& out) const;
    /// Drops the watches on path and below: a directory moved out of the tree.
    void forget(const std::string& path);
    void moved_out(const std::string& path, bool is_dir, std::vector<Event>& out);
    std::size_t count_directories(const std::string& root);

    fs::UniqueFd fd_;
    std::uint32_t mask_;
    bool recursive_;
    fs::GlobSet exclude_;
    Report report_;
    std::string queue_size_; ///< max_queued_events when the descriptor was made: its queue's size
    std::vector<std::string> roots_;
    std::unordered_set<int> root_wds_;
    std::mutex mu_; ///< guards paths_ while a parallel walk adds watches
    std::unordered_map<int, std::string> paths_; ///< wd -> watched path
    std::unordered_map<std::string, int> wds_;   ///< watched path -> wd
    /// Names a scan reported, per watched directory: the kernel's create for one is a repeat.
    std::unordered_map<int, std::unordered_set<std::string>> synthesized_;
    struct PendingFrom {
        std::uint32_t cookie;
        std::string path;
        bool is_dir;
        int generation; ///< read_events() calls it has waited
    };
    std::vector<PendingFrom> pending_from_;
};

} // namespace syskit::notify

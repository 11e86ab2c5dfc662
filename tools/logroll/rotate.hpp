// rotate: renaming a log to its rotated name without ever replacing a file, copy-and-truncate
// for writers that cannot reopen, and the background work that follows each rotation
// (compression, then retention), all in the log's directory.
#pragma once

#include "compress.hpp"
#include "names.hpp"
#include "retention.hpp"

#include "fs/fd.hpp"
#include "lock/lock.hpp"
#include "log/log.hpp"

#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace syskit::logroll {

struct RotateOptions {
    Scheme scheme = Scheme::timestamp;
    Compression compression = Compression::none;
    Retention retention;
    /// Leave the newest rotation uncompressed until the next one (logrotate's delaycompress).
    bool delay_compression = false;
    /// Compress and apply retention in a thread of the Rotator's own, as rotations arrive;
    /// false: in wait(), in the caller's thread (config mode, which waits for each log anyway
    /// and, rotating a thousand logs, would pay two thread switches for each).
    bool background = true;
};

/// What copy_truncate did.
struct CopyResult {
    std::uint64_t copied = 0;      ///< bytes now in the rotated file
    std::uint64_t during_copy = 0; ///< bytes the writer appended while logroll copied (copied too)
    std::uint64_t kept = 0;        ///< the start of an unfinished last line, put back into the log
    std::uint64_t lost = 0;        ///< bytes seen in the log but in neither file
};

class Rotator {
public:
    /// dirfd: the log's directory (open for reading, so it can be fsynced); base: the log's
    /// name in it; log: where each rotation, compression and deletion is logged.
    Rotator(fs::UniqueFd dirfd, std::string dir, std::string base, RotateOptions options, log::Logger& log);
    /// Waits for the background work.
    ~Rotator();
    Rotator(const Rotator&) = delete;
    Rotator& operator=(const Rotator&) = delete;

    int dirfd() const { return dirfd_.get(); }
    const std::string& dir() const { return dir_; }
    const std::string& base() const { return base_; }
    /// dir/base, for messages.
    std::string path(const std::string& name) const;

    /// Puts the rotated files in another directory of the same file system (logrotate's
    /// olddir): dirfd open on it, dir its name for messages.  Called before the first rotation.
    void set_olddir(fs::UniqueFd dirfd, std::string dir);
    /// The directory of the rotated files: the log's, or the one set_olddir gave.
    int rotated_dirfd() const { return olddirfd_ ? olddirfd_.get() : dirfd_.get(); }
    /// The path of a rotated file, for messages.
    std::string rotated_path(const std::string& name) const;

    /// The name the next rotation takes: free in every compressed form too.
    std::string next_name();

    /// Renames the log to next_name() with renameat2(RENAME_NOREPLACE), so an existing file
    /// is never replaced (a name taken meanwhile makes it try the next one).  Returns 0 with
    /// the new name in to, or an errno value.
    int rename_current(std::string& to);

    /// Copies the log to next_name() (created as a hidden temporary and renamed into place
    /// first), catches up with what the writer appended meanwhile, waits up to 50 ms for a
    /// line in progress to end, then copies what arrived last and truncates the log to zero
    /// at once; only then are the copy and the directory fsynced.  The copy ends at a line
    /// end: an unfinished last line is put back into the emptied log if the writer has not
    /// appended yet, and counted in result.lost otherwise.  When the copy fails before the
    /// truncation, the copy is removed and the log is left whole; error says what failed.
    bool copy_truncate(std::string& to, CopyResult& result, std::string& error);

    /// Hands a rotated file to the background thread: compressed when asked (with
    /// delay_compression, the rotations before it are, and it is left for the next time), then
    /// retention applied to the directory.  A file some process still holds open for
    /// writing (a writer that has not reopened) is neither compressed nor deleted: the
    /// thread warns and tries again every second.
    void rotated(std::string name);

    /// Waits until the background thread has nothing left to do but those retries (without
    /// options.background, does that work itself); a file still held then is logged as left
    /// uncompressed, for the next run to compress.  False when something it did since the
    /// last call failed (and was logged).
    bool wait();

    /// With --compress: hands the rotated files a crash left uncompressed to the background
    /// thread, oldest first, and deletes the uncompressed copy of those whose compressed
    /// copy is already in place (a crash between its rename and the unlink); with dry_run,
    /// logs what it would do.
    void resume_compression(bool dry_run);

    /// The rotated files in the directory, as retention sees them.  False with error set
    /// when the directory cannot be read.
    bool list(std::vector<Candidate>& out, std::string& error);

    /// Deletes what retention selects (or, dry_run, logs what it would).  A dry run counts
    /// pending, the file its rotation would have made, as the real run would find it.
    /// False when a deletion failed.
    bool apply_retention(bool dry_run, const std::optional<Candidate>& pending = std::nullopt);

    /// The regular files of a directory and their status: those whose names could be base's
    /// (starting with base, or with a dot and base), or all with base empty.  False, with
    /// error set, when the directory cannot be read.
    using Listing = std::vector<std::pair<std::string, struct stat>>;
    static bool read_directory(int dirfd, std::string_view base, Listing& out, std::string& error);

    /// Answers the listings that follow (remove_temporaries, next_name, list, retention) from
    /// entries, the rotated files' directory as read a moment ago, with what rename_current
    /// adds, until something else changes the directory.  For config mode, where the lock
    /// keeps every other logroll off this log and a directory of a thousand logs is read once
    /// for all of them, rather than three times for each.
    void use_listing(Listing entries);

    /// Deletes the hidden temporaries (".NAME.tmp", NAME one of this log's rotated names) that
    /// a rotation or compression interrupted by a crash left; with dry_run, logs them.  Only
    /// while holding the log's lock: then no other logroll is writing one.
    void remove_temporaries(bool dry_run);

private:
    struct Job {
        std::string name; ///< a rotated file to compress
        bool retry = false; ///< tried before and found held open: warned already
    };
    void work();
    /// Takes job's work (compression, then retention) in the calling thread, with mu_ held
    /// on entry and exit but not during the work.
    void process(Job job, std::unique_lock<std::mutex>& g);
    /// Queues the rotated files left uncompressed (all but the newest with skip_newest) and
    /// deletes the uncompressed copy of those compressed already; with dry_run, logs it.
    void queue_uncompressed(bool dry_run, bool skip_newest, std::string_view why);
    /// Compresses job's file, or (deferred) leaves it for a retry while a process holds it
    /// open for writing.  False when the compression failed (and was logged).
    bool compress(const Job& job, bool& deferred);
    /// Whether retention must leave name alone: queued, being compressed or waiting for a retry.
    bool in_flight(const std::string& name);
    bool each_regular_file(const std::function<void(const char* name, const struct stat& st)>& fn, std::string& error);
    bool taken(const std::string& name);

    fs::UniqueFd dirfd_, olddirfd_;
    std::string dir_, base_, olddir_;
    RotateOptions options_;
    log::Logger& log_;
    std::int64_t last_time_ = -1;
    std::uint64_t last_seq_ = 0;
    /// What keep_listing read; dropped by the first change to the directory.
    std::optional<Listing> listing_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    std::string current_;                ///< the file being compressed
    std::vector<std::string> deferred_;  ///< files held open for writing, tried again each second
    bool retention_retry_ = false;       ///< retention left a held file: run it again in a second
    bool busy_ = false, stop_ = false, failed_ = false;
    std::thread worker_;
};

/// The file in a log's directory that holds the locks of every log there.
inline constexpr const char* lock_file = ".logroll.lock";

/// The byte of lock_file that stands for the log named base: one file per directory, not
/// one per log, so a directory of a thousand logs costs one inode, not a thousand creations.
/// Two names share a byte only when their 62-bit hashes collide (then one waits for the other).
lock::Range lock_range(std::string_view base);

/// Takes the exclusive OFD lock on base's byte (lock_range) of lock_file in dirfd (created
/// 0644 if missing), waiting at most wait seconds (0: not at all).  Returns 0, EAGAIN or
/// ETIMEDOUT when another logroll holds it, or another errno value.
int lock_log(int dirfd, const std::string& base, double wait, fs::UniqueFd& lock);

} // namespace syskit::logroll

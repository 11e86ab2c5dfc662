#include "rotate.hpp"

#include "writers.hpp"

#include "fs/dir.hpp"
#include "lock/lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace syskit::logroll {

Rotator::Rotator(fs::UniqueFd dirfd, std::string dir, std::string base, RotateOptions options, log::Logger& log)
    : dirfd_(std::move(dirfd)), dir_(std::move(dir)), base_(std::move(base)), options_(options), log_(log) {
    if (options_.background && (options_.compression != Compression::none || options_.retention.any()))
        worker_ = std::thread([this] { work(); });
}

Rotator::~Rotator() {
    {
        std::lock_guard g(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

std::string Rotator::path(const std::string& name) const {
    return dir_ == "." ? name : dir_ + (dir_.ends_with('/') ? "" : "/") + name;
}

void Rotator::set_olddir(fs::UniqueFd dirfd, std::string dir) {
    olddirfd_ = std::move(dirfd);
    olddir_ = std::move(dir);
}

std::string Rotator::rotated_path(const std::string& name) const {
    if (olddir_.empty())
        return path(name);
    return olddir_ + (olddir_.ends_with('/') ? "" : "/") + name;
}

bool Rotator::taken(const std::string& name) {
    // Only a name seen to exist is taken: on any other error the rename that follows fails
    // and says why.
    for (Compression c : {Compression::none, Compression::gzip, Compression::zstd})
        if (::faccessat(rotated_dirfd(), (name + std::string(extension(c))).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            return true;
    return false;
}

std::string Rotator::next_name() {
    if (options_.scheme == Scheme::numbered) {
        std::uint64_t top = 0;
        std::vector<Candidate> all;
        std::string error;
        if (list(all, error))
            for (const auto& c : all)
                top = std::max(top, c.rotated.seq);
        std::string name;
        do
            name = rotated_name(base_, Scheme::numbered, 0, ++top);
        while (taken(name));
        return name;
    }
    std::int64_t now = std::time(nullptr);
    std::uint64_t seq = now == last_time_ ? last_seq_ + 1 : 0;
    std::string name;
    while (taken(name = rotated_name(base_, Scheme::timestamp, now, seq)))
        ++seq;
    last_time_ = now;
    last_seq_ = seq;
    return name;
}

int Rotator::rename_current(std::string& to) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
        to = next_name();
        if (::renameat2(dirfd_.get(), base_.c_str(), rotated_dirfd(), to.c_str(), RENAME_NOREPLACE) == 0) {
            // The kept listing follows the rename, for the retention that comes next.
            struct stat st{};
            if (listing_ && ::fstatat(rotated_dirfd(), to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
                listing_->emplace_back(to, st);
            else
                listing_.reset();
            return 0;
        }
        if (errno != EEXIST) {
            listing_.reset();
            return errno;
        }
    }
    listing_.reset();
    return EEXIST;
}

bool Rotator::copy_truncate(std::string& to, CopyResult& result, std::string& error) {
    struct Drop {
        std::optional<Listing>& l;
        ~Drop() { l.reset(); }
    } drop{listing_};
    fs::UniqueFd src(::openat(dirfd_.get(), base_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
    if (!src) {
        error = path(base_) + ": " + std::strerror(errno);
        return false;
    }
    struct stat st{};
    ::fstat(src.get(), &st);
    const auto start_size = static_cast<std::uint64_t>(st.st_size);
    std::string tmp;
    fs::UniqueFd dst;
    // The copy gets its rotated name at once (the name is free in every compressed form,
    // and RENAME_NOREPLACE keeps it so), so that nothing is left to fail between the
    // truncation and the copy being in place.
    for (int attempt = 0; attempt < 1000; ++attempt) {
        to = next_name();
        tmp = "." + to + ".tmp";
        ::unlinkat(rotated_dirfd(), tmp.c_str(), 0);
        dst.reset(::openat(rotated_dirfd(), tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                           st.st_mode & 0666));
        if (!dst) {
            error = rotated_path(tmp) + ": " + std::strerror(errno);
            return false;
        }
        if (::renameat2(rotated_dirfd(), tmp.c_str(), rotated_dirfd(), to.c_str(), RENAME_NOREPLACE) == 0)
            break;
        int err = errno;
        ::unlinkat(rotated_dirfd(), tmp.c_str(), 0);
        dst.reset();
        if (err != EEXIST) {
            error = rotated_path(to) + ": rename: " + std::strerror(err);
            return false;
        }
    }
    if (!dst) {
        error = rotated_path(to) + ": rename: " + std::strerror(EEXIST);
        return false;
    }
    auto fail = [&](const std::string& what) {
        error = what + ": " + std::strerror(errno);
        ::unlinkat(rotated_dirfd(), to.c_str(), 0);
        return false;
    };
    std::vector<char> buf(1 << 20);
    char last = '\n';
    std::uint64_t line_end = 0; // where the last whole line copied ends
    auto copy_rest = [&]() -> bool {
        for (;;) {
            ssize_t n = ::read(src.get(), buf.data(), buf.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(path(base_) + ": read");
            if (n == 0)
                return true;
            if (!fs::write_all(dst.get(), buf.data(), static_cast<std::size_t>(n)))
                return fail(rotated_path(to) + ": write");
            if (auto nl = static_cast<const char*>(memrchr(buf.data(), '\n', static_cast<std::size_t>(n))))
                line_end = result.copied + static_cast<std::uint64_t>(nl - buf.data()) + 1;
            result.copied += static_cast<std::uint64_t>(n);
            last = buf[static_cast<std::size_t>(n) - 1];
        }
    };
    // Copy to the end, then again while the writer keeps appending (a few rounds at most),
    // then give a line being written (a write in progress, or a line written in parts) up to
    // 50 ms to end: the truncation takes with it whatever is not copied by then.
    for (int round = 0; round < 8; ++round) {
        if (!copy_rest())
            return false;
        ::fstat(src.get(), &st);
        if (static_cast<std::uint64_t>(st.st_size) <= result.copied)
            break;
    }
    timespec ms{0, 1'000'000};
    for (int wait = 0; wait < 50 && last != '\n'; ++wait) {
        nanosleep(&ms, nullptr);
        if (!copy_rest())
            return false;
    }
    // The window where appended bytes are lost: from the last read to the truncation, the
    // two calls that follow each other here.  fstat between them sees what came in it.
    if (!copy_rest())
        return false;
    ::fstat(src.get(), &st);
    if (::ftruncate(src.get(), 0) != 0)
        return fail(path(base_) + ": ftruncate");
    const auto seen = static_cast<std::uint64_t>(st.st_size);
    result.lost = seen > result.copied ? seen - result.copied : 0;
    result.during_copy = result.copied > start_size ? result.copied - start_size : 0;
    // The rotated file ends where the last whole line does; the start of the line after it
    // goes back into the log, appended, where the writer adds its end.  Only if it lands at
    // the start is it kept: after bytes the writer appended first, it no longer begins its
    // line, and counts as lost.
    if (line_end < result.copied) {
        const std::uint64_t partial = result.copied - line_end;
        std::vector<char> rest(partial);
        bool kept = false;
        if (::pread(dst.get(), rest.data(), partial, static_cast<off_t>(line_end)) == static_cast<ssize_t>(partial) &&
            ::fcntl(src.get(), F_SETFL, O_APPEND) == 0 &&
            ::write(src.get(), rest.data(), partial) == static_cast<ssize_t>(partial))
            kept = ::lseek(src.get(), 0, SEEK_CUR) == static_cast<off_t>(partial);
        if (kept) {
            result.kept = partial;
        } else {
            result.lost += partial;
        }
        result.copied = line_end;
        if (::ftruncate(dst.get(), static_cast<off_t>(line_end)) != 0) {
            error = rotated_path(to) + ": ftruncate: " + std::strerror(errno);
            return false;
        }
    }
    if (::fsync(dst.get()) != 0 || ::fsync(rotated_dirfd()) != 0) {
        // In place and whole as far as this run can see, but not known to be on disk.
        error = rotated_path(to) + ": fsync: " + std::strerror(errno);
        return false;
    }
    return true;
}

void Rotator::rotated(std::string name) {
    // Compression changes names; retention alone can start from the kept listing.
    if (options_.compression != Compression::none)
        listing_.reset();
    if (options_.compression == Compression::none && !options_.retention.any())
        return;
    if (options_.delay_compression && options_.compression != Compression::none) {
        // name is the newest rotation: the ones before it are compressed now, and it next time.
        queue_uncompressed(false, true, "compressing the rotation before the newest (delaycompress)");
        name.clear(); // a job with no file to compress: retention only
    }
    {
        std::lock_guard g(mu_);
        queue_.push_back({std::move(name)});
    }
    cv_.notify_all();
}

bool Rotator::wait() {
    std::unique_lock g(mu_);
    if (!worker_.joinable())
        while (!queue_.empty()) {
            Job job = std::move(queue_.front());
            queue_.pop_front();
            process(std::move(job), g);
        }
    cv_.wait(g, [&] { return queue_.empty() && !busy_; });
    for (const auto& name : deferred_)
        log_.warn("left uncompressed: a process still holds it open for writing; the next run compresses it",
                  {{"file", rotated_path(name)}});
    deferred_.clear();
    retention_retry_ = false;
    return !std::exchange(failed_, false);
}

bool Rotator::in_flight(const std::string& name) {
    std::lock_guard g(mu_);
    if (name == current_ || std::find(deferred_.begin(), deferred_.end(), name) != deferred_.end())
        return true;
    return std::any_of(queue_.begin(), queue_.end(), [&](const Job& j) { return j.name == name; });
}

void Rotator::resume_compression(bool dry_run) {
    queue_uncompressed(dry_run, options_.delay_compression, "compressing what an earlier run left uncompressed");
}

void Rotator::queue_uncompressed(bool dry_run, bool skip_newest, std::string_view why) {
    if (options_.compression == Compression::none)
        return;
    std::vector<Candidate> all;
    std::string error;
    const bool listed = list(all, error);
    if (!dry_run)
        listing_.reset(); // what is queued and deleted below changes the directory
    if (!listed) {
        log_.error("cannot read the directory", {{"dir", olddir_.empty() ? dir_ : olddir_}, {"error", error}});
        return;
    }
    std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.rotated < b.rotated; });
    std::optional<Rotated> newest;
    if (skip_newest && !all.empty())
        newest = all.back().rotated;
    for (const auto& c : all) {
        if (c.rotated.compression != Compression::none || (newest && c.rotated.same_rotation(*newest)) ||
            in_flight(c.rotated.name))
            continue;
        std::string p = rotated_path(c.rotated.name);
        bool done = std::any_of(all.begin(), all.end(), [&](const Candidate& o) {
            return o.rotated.same_rotation(c.rotated) && o.rotated.compression == options_.compression;
        });
        if (!done && dry_run) {
            log_.info("would compress", {{"file", p}, {"bytes", c.size}, {"dry_run", true}});
        } else if (!done) {
            log_.info(why, {{"file", p}, {"bytes", c.size}});
            {
                std::lock_guard g(mu_);
                queue_.push_back({c.rotated.name});
            }
            cv_.notify_all();
        } else if (dry_run) {
            // The compressed copy was renamed into place only once complete and fsynced.
            log_.info("would delete the uncompressed copy of a compressed file", {{"file", p}, {"dry_run", true}});
        } else if (::unlinkat(rotated_dirfd(), c.rotated.name.c_str(), 0) == 0) {
            log_.info("deleted the uncompressed copy of a compressed file", {{"file", p}, {"bytes", c.size}});
        } else if (errno != ENOENT) {
            log_.error("cannot delete", {{"file", p}, {"error", std::string_view(std::strerror(errno))}});
        }
    }
}

bool Rotator::compress(const Job& job, bool& deferred) {
    if (open_for_writing(rotated_dirfd(), job.name.c_str())) {
        if (!job.retry)
            log_.warn("not compressed yet: a process still holds it open for writing; trying again every second",
                      {{"file", rotated_path(job.name)}});
        deferred = true;
        return true;
    }
    Compressed r;
    std::string error;
    timespec t0{}, t1{};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!compress_file(rotated_dirfd(), job.name, options_.compression, r, error)) {
        log_.error("compression failed, the rotated file is kept as it is", {{"file", rotated_path(job.name)}, {"error", error}});
        return false;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
    std::string to = rotated_path(job.name + std::string(extension(options_.compression)));
    log_.info("compressed", {{"file", to}, {"bytes_in", r.in}, {"bytes_out", r.out}, {"seconds", secs}});
    return true;
}

void Rotator::work() {
    using namespace std::chrono_literals;
    std::unique_lock g(mu_);
    for (;;) {
        auto ready = [&] { return stop_ || !queue_.empty(); };
        bool timed_out = false;
        if (deferred_.empty() && !retention_retry_) {
            cv_.wait(g, ready);
        } else if (!cv_.wait_for(g, 1s, ready)) {
            // A second went by: try again what waited for a writer to close its file.
            timed_out = true;
            for (auto& name : deferred_)
                queue_.push_back({std::move(name), true});
            deferred_.clear();
        }
        if (queue_.empty() && !timed_out)
            return; // stopping
        Job job;
        if (!queue_.empty()) {
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        process(std::move(job), g);
    }
}

void Rotator::process(Job job, std::unique_lock<std::mutex>& g) {
    current_ = job.name;
    retention_retry_ = false;
    busy_ = true;
    g.unlock();
    bool ok = true, deferred = false;
    if (!job.name.empty() && options_.compression != Compression::none)
        ok = compress(job, deferred);
    g.lock();
    // Compressed, or left for a retry that in_flight still protects: retention judges it
    // now like any other rotation (rotate 0 in config mode deletes it at once).
    if (deferred)
        deferred_.push_back(std::move(job.name));
    current_.clear();
    g.unlock();
    if (options_.retention.any())
        ok = apply_retention(false) && ok;
    g.lock();
    busy_ = false;
    failed_ = failed_ || !ok;
    cv_.notify_all();
}

bool Rotator::read_directory(int dirfd, std::string_view base, Listing& out, std::string& error) {
    // A description of its own: listing the directory's own descriptor would move the offset it shares.
    fs::DirReader d = fs::DirReader::open(dirfd, ".");
    if (!d) {
        error = std::strerror(errno);
        return false;
    }
    while (const fs::DirEntry* e = d.next()) {
        // Only regular files: a directory or a symlink that happens to match is not ours.
        if (e->type != 0 && e->type != S_IFREG)
            continue;
        // Every name of ours starts with the log's, or with a dot and the log's (temporaries):
        // the others are not looked at, which keeps a directory of many logs quick to list.
        std::string_view n = e->name;
        if (!n.starts_with(base) && !(n.size() > 1 && n[0] == '.' && n.substr(1).starts_with(base)))
            continue;
        struct stat st{};
        if (::fstatat(dirfd, e->name.data(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            out.emplace_back(std::string(n), st);
    }
    if (d.error()) {
        error = std::strerror(d.error());
        return false;
    }
    return true;
}

void Rotator::use_listing(Listing entries) {
    // A background thread would read the listing while this one changes the directory.
    if (!options_.background)
        listing_ = std::move(entries);
}

bool Rotator::each_regular_file(const std::function<void(const char* name, const struct stat& st)>& fn,
                                std::string& error) {
    if (listing_) {
        for (const auto& [name, st] : *listing_)
            fn(name.c_str(), st);
        return true;
    }
    Listing entries;
    if (!read_directory(rotated_dirfd(), base_, entries, error))
        return false;
    for (const auto& [name, st] : entries)
        fn(name.c_str(), st);
    return true;
}

bool Rotator::list(std::vector<Candidate>& out, std::string& error) {
    return each_regular_file(
        [&](const char* name, const struct stat& st) {
            if (auto r = parse_rotated(base_, options_.scheme, name))
                out.push_back({std::move(*r), static_cast<std::uint64_t>(st.st_size),
                               static_cast<std::int64_t>(st.st_mtime)});
        },
        error);
}

void Rotator::remove_temporaries(bool dry_run) {
    std::vector<std::pair<std::string, std::uint64_t>> found;
    std::string error;
    bool ok = each_regular_file(
        [&](const char* name, const struct stat& st) {
            // ".NAME.tmp" for a NAME of either scheme: an earlier run may have used the other.
            std::string_view n(name);
            if (n.size() <= 5 || n.front() != '.' || !n.ends_with(".tmp"))
                return;
            std::string_view rotated = n.substr(1, n.size() - 5);
            if (parse_rotated(base_, Scheme::timestamp, rotated) || parse_rotated(base_, Scheme::numbered, rotated))
                found.emplace_back(name, static_cast<std::uint64_t>(st.st_size));
        },
        error);
    if (!ok) {
        log_.error("cannot read the directory", {{"dir", olddir_.empty() ? dir_ : olddir_}, {"error", error}});
        return;
    }
    for (const auto& [name, size] : found) {
        if (dry_run)
            log_.info("would delete an interrupted rotation's temporary", {{"file", rotated_path(name)}, {"bytes", size}, {"dry_run", true}});
        else if (::unlinkat(rotated_dirfd(), name.c_str(), 0) == 0)
            log_.info("deleted an interrupted rotation's temporary", {{"file", rotated_path(name)}, {"bytes", size}});
        else if (errno != ENOENT)
            log_.error("cannot delete", {{"file", rotated_path(name)}, {"error", std::string_view(std::strerror(errno))}});
    }
}

bool Rotator::apply_retention(bool dry_run, const std::optional<Candidate>& pending) {
    std::vector<Candidate> all;
    std::string error;
    const bool listed = list(all, error);
    if (!dry_run)
        listing_.reset(); // the deletions below change the directory
    if (!listed) {
        log_.error("cannot read the directory for retention", {{"dir", olddir_.empty() ? dir_ : olddir_}, {"error", error}});
        return false;
    }
    if (pending)
        all.push_back(*pending);
    bool ok = true;
    for (const auto& c : select_expired(std::move(all), options_.retention, std::time(nullptr))) {
        std::string p = rotated_path(c.rotated.name);
        // Counted, but not deleted: the compressor still has it, or a writer still appends
        // to it (its lines would be lost); a later pass deletes it.
        if (in_flight(c.rotated.name))
            continue;
        if (open_for_writing(rotated_dirfd(), c.rotated.name.c_str())) {
            if (dry_run) {
                log_.info("would not delete: a process still holds it open for writing", {{"file", p}, {"dry_run", true}});
                continue;
            }
            log_.warn("not deleted: a process still holds it open for writing", {{"file", p}});
            std::lock_guard g(mu_);
            retention_retry_ = true;
            continue;
        }
        if (dry_run) {
            log_.info("would delete", {{"file", p}, {"bytes", c.size}, {"dry_run", true}});
        } else if (::unlinkat(rotated_dirfd(), c.rotated.name.c_str(), 0) == 0) {
            log_.info("deleted", {{"file", p}, {"bytes", c.size}});
        } else if (errno != ENOENT) {
            ok = false;
            log_.error("cannot delete", {{"file", p}, {"error", std::string_view(std::strerror(errno))}});
        }
    }
    return ok;
}

lock::Range lock_range(std::string_view base) {
    // FNV-1a over the name, cut to 62 bits: a fixed function, so every logroll finds the same
    // byte, and one that stays below the largest file offset.
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : base) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return {static_cast<std::int64_t>(h >> 2), 1};
}

int lock_log(int dirfd, const std::string& base, double wait, fs::UniqueFd& lockfd) {
    lockfd.reset(::openat(dirfd, lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644));
    if (!lockfd)
        return errno;
    lock::Request r; // OFD, exclusive: released by the kernel whatever way logroll exits
    r.range = lock_range(base);
    return wait > 0 ? lock::lock_for(lockfd.get(), r, wait) : lock::try_lock(lockfd.get(), r);
}

} // namespace syskit::logroll

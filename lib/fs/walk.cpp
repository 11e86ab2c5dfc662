#include "fs/walk.hpp"

#include "cli/jobs.hpp"
#include "fs/dir.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace syskit::fs {

namespace {

/// An open directory whose entries are being or have been listed.  The descriptor stays
/// open while subdirectories wait to be opened relative to it; the object itself lives as
/// long as a descendant does, for the cycle check's walk up the ancestors.
struct Dir : std::enable_shared_from_this<Dir> {
    std::string path;
    std::shared_ptr<Dir> parent;
    FileId id;
    dev_t root_dev = 0;
    std::size_t root = 0;
    int depth = 0;
    DirReader reader;
    /// Subdirectories not yet opened, plus one while the listing runs.
    std::atomic<int> pending{1};

    void release() {
        if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1)
            reader.close();
    }
};

/// A directory waiting to be opened and listed.
struct Task {
    std::shared_ptr<Dir> parent; ///< nullptr for a root
    std::string name;            ///< relative to parent->reader.fd(), or the root path
    FileId id;
    dev_t root_dev = 0;
    std::size_t root = 0;
    int depth = 0;
};

std::string join(std::string_view dir, std::string_view name) {
    std::string p;
    p.reserve(dir.size() + 1 + name.size());
    p += dir;
    if (p.empty() || p.back() != '/')
        p += '/';
    p += name;
    return p;
}

/// A walk keeps one directory descriptor per level of the deepest path in progress; lift
/// the soft limit on descriptors to the hard one so deep trees do not run out.
void raise_fd_limit() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    });
}

/// Which of the walk's threads runs here, for Entry::worker.
thread_local unsigned t_worker = 0;

class Walker {
public:
    Walker(const WalkOptions& o, const Visit& v, WalkCounters* c) : opt_(o), visit_(v), counters_(c) {
        follow_ = (opt_.flags & walk_follow) != 0;
        stat_all_ = (opt_.flags & walk_stat) != 0;
    }

    bool run() {
        raise_fd_limit();
        t_worker = 0;
        for (std::size_t i = 0; i < opt_.roots.size() && !stopped(); ++i)
            visit_root(i);
        const unsigned n = walk_threads(opt_) - opt_.io_threads;
        if (n == 1) {
            work();
        } else {
            std::vector<std::thread> pool;
            for (unsigned i = 0; i < n; ++i)
                pool.emplace_back([this, i] {
                    t_worker = i;
                    work();
                });
            for (auto& t : pool)
                t.join();
        }
        // Every thread that could add more has ended: extra_ no longer changes.
        for (auto& t : extra_)
            t.join();
        return !stopped();
    }

private:
    bool stopped() const { return stop_.load(std::memory_order_relaxed); }

    /// Counts a directory listed, and whether opening it and reading its first entries took
    /// long enough to have waited for the disk; once enough did, starts the io_threads.
    void timed(std::chrono::steady_clock::duration took) {
        // A cached directory of a few entries takes microseconds, a disk read hundreds.
        constexpr auto disk = std::chrono::microseconds(250);
        const std::uint64_t listed = listed_.fetch_add(1, std::memory_order_relaxed) + 1;
        std::uint64_t slow = slow_.load(std::memory_order_relaxed);
        if (took >= disk)
            slow = slow_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (slow < 8 || slow * 4 < listed || grown_.exchange(true))
            return;
        const unsigned first = walk_threads(opt_) - opt_.io_threads;
        std::lock_guard lock(mu_);
        for (unsigned i = 0; i < opt_.io_threads; ++i) {
            try {
                extra_.emplace_back([this, w = first + i] {
                    t_worker = w;
                    work();
                });
            } catch (const std::system_error&) {
                break; // no more threads to be had: the walk goes on with those it has
            }
        }
    }

    Action call(Entry& e) {
        e.worker = t_worker;
        if (counters_)
            counters_->entries.fetch_add(1, std::memory_order_relaxed);
        Action a = visit_(e);
        if (a == Action::stop)
            stop_.store(true, std::memory_order_relaxed);
        return a;
    }

    void visit_root(std::size_t i) {
        const std::string& root = opt_.roots[i];
        struct statx st;
        bool follow = follow_ || (opt_.flags & walk_follow_roots);
        int flags = AT_NO_AUTOMOUNT | (follow ? 0 : AT_SYMLINK_NOFOLLOW);
        int err = 0, link_err = 0;
        if (statx(AT_FDCWD, root.c_str(), flags, opt_.statx_mask, &st) != 0) {
            err = errno;
            // A root that is a dangling symlink is still an entry, as find -H shows it.
            if (follow && (err == ENOENT || err == ELOOP) &&
                statx(AT_FDCWD, root.c_str(), flags | AT_SYMLINK_NOFOLLOW, opt_.statx_mask, &st) == 0) {
                link_err = S_ISLNK(st.stx_mode) ? err : 0;
                err = 0;
            }
        }
        Entry e{root, root, AT_FDCWD, root, i, 0, err ? 0 : static_cast<mode_t>(st.stx_mode & S_IFMT),
                err ? nullptr : &st, err};
        e.link_error = link_err;
        Action a = call(e);
        if (err || a != Action::next || !S_ISDIR(st.stx_mode) || opt_.max_depth == 0)
            return;
        Task t{nullptr, root, file_id(st), makedev(st.stx_dev_major, st.stx_dev_minor), i, 0};
        std::lock_guard lock(mu_);
        stack_.push_back(std::move(t));
    }

    void work() {
        std::vector<Task> children;
        for (;;) {
            Task t;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [this] { return !stack_.empty() || active_ == 0 || stopped(); });
                if (stack_.empty() || stopped()) {
                    cv_.notify_all();
                    return;
                }
                t = std::move(stack_.back());
                stack_.pop_back();
                ++active_;
            }
            children.clear();
            list(std::move(t), children);
            bool idle;
            {
                std::lock_guard lock(mu_);
                for (auto& c : children)
                    stack_.push_back(std::move(c));
                idle = --active_ == 0;
            }
            if (children.size() > 1 || idle)
                cv_.notify_all();
            else if (!children.empty())
                cv_.notify_one();
        }
    }

    /// Reports a directory that could not be opened or read: visited again, with the error.
    void report(const Dir& d, std::string_view name, int err) {
        Entry e{d.path, name, AT_FDCWD, d.path, d.root, d.depth, S_IFDIR, nullptr, err};
        call(e);
    }

    void list(Task t, std::vector<Task>& children) {
        auto dir = std::make_shared<Dir>();
        dir->path = t.parent ? join(t.parent->path, t.name) : t.name;
        dir->parent = t.parent;
        dir->id = t.id;
        dir->root_dev = t.root_dev;
        dir->root = t.root;
        dir->depth = t.depth;
        if (counters_)
            counters_->dirs.fetch_add(1, std::memory_order_relaxed);

        // One buffer per thread serves every directory the thread lists.
        thread_local std::vector<char> buf(1 << 16);
        int parent_fd = t.parent ? t.parent->reader.fd() : AT_FDCWD;
        bool nofollow = !follow_ && (t.parent || !(opt_.flags & walk_follow_roots));
        // Timed only while the io_threads may still be wanted: the clock costs the rest nothing.
        const bool timing = opt_.io_threads && !grown_.load(std::memory_order_relaxed);
        const auto opened = timing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        dir->reader = DirReader::open(parent_fd, t.name.c_str(), O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0), buf);
        int open_err = dir->reader ? 0 : errno;
        if (open_err)
            report(*dir, t.name, open_err);
        if (t.parent)
            t.parent->release();
        if (open_err) {
            dir->pending.store(0);
            return;
        }

        std::string child_path = dir->path;
        if (child_path.empty() || child_path.back() != '/')
            child_path += '/';
        const std::size_t prefix = child_path.size();
        const bool descend = opt_.max_depth < 0 || dir->depth + 1 < opt_.max_depth;

        bool first = timing;
        while (!stopped()) {
            const DirEntry* d = dir->reader.next();
            if (first) {
                timed(std::chrono::steady_clock::now() - opened);
                first = false;
            }
            if (!d) {
                if (dir->reader.error())
                    report(*dir, t.name, dir->reader.error());
                break;
            }
            child_path.resize(prefix);
            child_path += d->name;
            if (!opt_.exclude.empty() && opt_.exclude.matches(child_path, d->name))
                continue;
            entry(*dir, *d, child_path, descend, children);
        }
        dir->release();
    }

    void entry(Dir& dir, const DirEntry& d, const std::string& path, bool descend, std::vector<Task>& children) {
        std::string_view name = d.name;
        const int dirfd = dir.reader.fd();
        mode_t type = d.type;
        struct statx st;
        const struct statx* stp = nullptr;
        int err = 0, link_err = 0;
        // Every directory is statx'd: its identity is what tells a loop.
        bool need = stat_all_ || type == 0 || type == S_IFDIR || (follow_ && type == S_IFLNK);
        if (need) {
            int flags = AT_NO_AUTOMOUNT | (follow_ ? 0 : AT_SYMLINK_NOFOLLOW);
            int rc = statx(dirfd, name.data(), flags, opt_.statx_mask, &st);
            if (rc != 0 && follow_) {
                link_err = errno;
                rc = statx(dirfd, name.data(), flags | AT_SYMLINK_NOFOLLOW, opt_.statx_mask, &st);
                if (rc == 0 && !S_ISLNK(st.stx_mode))
                    link_err = 0;
            }
            if (rc == 0) {
                stp = &st;
                type = st.stx_mode & S_IFMT;
            } else {
                err = errno; // EACCES in a directory that can be listed but not searched
            }
        }
        FileId id = stp ? file_id(st) : FileId{0, d.ino};
        // Without following, a directory can only be its own ancestor at a mount point,
        // where getdents64 gives the inode of the directory mounted on, not the one seen.
        if (!follow_ && stp && type == S_IFDIR && (id.ino != d.ino || id.dev != dir.id.dev)) {
            for (const Dir* up = &dir; up; up = up->parent.get()) {
                if (up->id == id) {
                    Entry loop{path, name, dirfd, name, dir.root, dir.depth + 1, type, stp, ELOOP};
                    loop.loop_of = up->path;
                    call(loop);
                    return;
                }
            }
        }
        Entry e{path, name, dirfd, name, dir.root, dir.depth + 1, type, stp, err};
        e.link_error = link_err;
        Action a = call(e);
        if (err || a != Action::next || type != S_IFDIR || !descend)
            return;
        if ((opt_.flags & walk_one_fs) && stp && id.dev != dir.root_dev)
            return;
        if (follow_ && stp) {
            for (const Dir* a = &dir; a; a = a->parent.get()) {
                if (a->id == id) {
                    Entry loop{path, name, dirfd, name, dir.root, dir.depth + 1, type, stp, ELOOP};
                    call(loop);
                    return;
                }
            }
        }
        dir.pending.fetch_add(1, std::memory_order_relaxed);
        children.push_back(Task{dir.shared_from_this(), std::string(name), id, dir.root_dev, dir.root,
                                dir.depth + 1});
    }

    const WalkOptions& opt_;
    const Visit& visit_;
    WalkCounters* counters_;
    bool follow_ = false;
    bool stat_all_ = false;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Task> stack_;
    unsigned active_ = 0;
    std::atomic<std::uint64_t> listed_{0}, slow_{0};
    std::atomic<bool> grown_{false};
    std::vector<std::thread> extra_; ///< the io_threads, once started (under mu_)
};

} // namespace

std::string entry_error(const Entry& e) {
    if (!e.loop_of.empty())
        return "File system loop detected; it is " + std::string(e.loop_of) + " again";
    return std::strerror(e.error);
}

unsigned walk_threads(const WalkOptions& options) {
    return (options.threads ? options.threads : cli::cpu_count()) + options.io_threads;
}

bool walk(const WalkOptions& options, const Visit& visit, WalkCounters* counters) {
    return Walker(options, visit, counters).run();
}

} // namespace syskit::fs

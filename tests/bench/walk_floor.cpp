// walk-floor: the least a parallel tree walk costs on this machine, the floor the walking
// tools' benchmarks divide by (scripts/bench/permscan.sh, dirsize.sh, dupfind.sh).
//
//   walk-floor [-j THREADS] PATH...
//
// The walk of lib/fs/walk.cpp with fs::walk_stat, which permscan and dirsize run, and nothing
// else: the same system calls with the same arguments, in the same order, from the same
// number of threads sharing the same kind of work list.
//   - a root: statx(AT_FDCWD, PATH, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW), then
//     openat(AT_FDCWD, PATH, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
//   - a directory: getdents64 into a 64 KiB buffer until it returns 0, and for each entry
//     statx(dirfd, name, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW) with the walker's mask;
//   - a subdirectory found: a task on a shared LIFO list (one mutex, one condition variable),
//     opened with openat(parent, name, the root's flags) by the thread that takes it, the
//     parent's descriptor staying open until the last of its subdirectories is opened.
// No paths are built, no callbacks made, no per-entry work done, and nothing is printed but
// the counts at the end ("ENTRIES entries, DIRS directories"), which the benchmarks compare
// with find's to be sure both walked the same tree.  THREADS defaults to the CPUs the process
// may run on (sched_getaffinity), as the tools' -j does.  It uses nothing of lib/fs but
// UniqueFd: a floor built on the walker would measure the walker against itself.
#include "fs/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using syskit::fs::UniqueFd;

namespace {

constexpr unsigned statx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID |
                                STATX_MTIME | STATX_INO | STATX_SIZE | STATX_BLOCKS;
constexpr int statx_flags = AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW;
constexpr int open_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW;

/// An open directory; closed when the last task that opens a subdirectory relative to it
/// is done with it, as the walker closes its Dir's descriptor.
struct Dir {
    UniqueFd fd;
};

/// A directory to open and read: name, relative to parent (AT_FDCWD for a root).
struct Task {
    std::shared_ptr<Dir> parent;
    std::string name;
};

/// The work list: LIFO, as the walker's, so it goes deep first and holds few descriptors.
class Work {
public:
    void push_root(Task t) { stack_.push_back(std::move(t)); }

    /// The next task, or false once every directory is read.
    bool pop(Task& t) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !stack_.empty() || active_ == 0; });
        if (stack_.empty()) {
            cv_.notify_all();
            return false;
        }
        t = std::move(stack_.back());
        stack_.pop_back();
        ++active_;
        return true;
    }

    /// A task is done, having found children.
    void done(std::vector<Task>& children) {
        bool idle;
        std::size_t n = children.size();
        {
            std::lock_guard lock(mu_);
            for (auto& c : children)
                stack_.push_back(std::move(c));
            idle = --active_ == 0;
        }
        children.clear();
        if (n > 1 || idle)
            cv_.notify_all();
        else if (n == 1)
            cv_.notify_one();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Task> stack_;
    unsigned active_ = 0;
};

std::atomic<unsigned long long> entries{0}, dirs{0};

void worker(Work& work) {
    thread_local std::vector<char> buf(1 << 16);
    std::vector<Task> children;
    unsigned long long seen = 0, opened = 0;
    for (Task t; work.pop(t);) {
        auto dir = std::make_shared<Dir>();
        dir->fd = UniqueFd(openat(t.parent ? t.parent->fd.get() : AT_FDCWD, t.name.c_str(), open_flags));
        t.parent.reset();
        if (dir->fd) {
            ++opened;
            const int fd = dir->fd.get();
            for (;;) {
                long n = syscall(SYS_getdents64, fd, buf.data(), buf.size());
                if (n <= 0)
                    break;
                for (long off = 0; off < n;) {
                    auto* d = reinterpret_cast<struct dirent64*>(buf.data() + off);
                    off += d->d_reclen;
                    const char* name = d->d_name;
                    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                        continue;
                    ++seen;
                    struct statx st;
                    if (statx(fd, name, statx_flags, statx_mask, &st) == 0 && S_ISDIR(st.stx_mode))
                        children.push_back(Task{dir, name});
                }
            }
        }
        dir.reset(); // closed now, unless a child task still needs it
        work.done(children);
    }
    entries += seen;
    dirs += opened;
}

unsigned cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return static_cast<unsigned>(CPU_COUNT(&set));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    unsigned threads = cpus();
    int first = 1;
    if (argc > 2 && std::strcmp(argv[1], "-j") == 0) {
        threads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
        first = 3;
    }
    if (first >= argc || threads == 0) {
        std::fprintf(stderr, "usage: walk-floor [-j THREADS] PATH...\n");
        return 2;
    }
    // As the walker: a deep tree holds a descriptor per pending directory.
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    Work work;
    for (int i = first; i < argc; ++i) {
        struct statx st;
        bool found = statx(AT_FDCWD, argv[i], statx_flags, statx_mask, &st) == 0;
        if (!found || !S_ISDIR(st.stx_mode)) {
            std::fprintf(stderr, "walk-floor: %s: %s\n", argv[i], found ? "not a directory" : std::strerror(errno));
            return 2;
        }
        work.push_root(Task{nullptr, argv[i]});
    }

    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i)
        pool.emplace_back(worker, std::ref(work));
    for (auto& t : pool)
        t.join();
    std::printf("%llu entries, %llu directories\n", entries.load(), dirs.load());
    return 0;
}

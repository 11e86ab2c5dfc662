// walk-floor: the least a parallel tree walk costs on this machine, the floor the walking
// tools' benchmarks divide by (scripts/bench/permscan.sh, dirsize.sh, dupfind.sh).
//
//   walk-floor [-j THREADS] PATH...
//
// The same system calls as lib/fs's walker, and nothing else: each directory opened with
// openat relative to its parent, read with getdents64, every entry given one statx with the
// walker's mask; no paths built, no callbacks, no output but the counts at the end
// ("ENTRIES entries, DIRS directories"), which the benchmarks compare with the tools' to be
// sure both walked the same tree.  THREADS defaults to the CPUs the process may run on, as
// the tools' -j does.  It uses nothing of lib/fs but UniqueFd: a floor built on the walker
// would measure the walker against itself.
#include "fs/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using syskit::fs::UniqueFd;

namespace {

constexpr unsigned statx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID |
                                STATX_MTIME | STATX_INO | STATX_SIZE | STATX_BLOCKS;

// Directories waiting to be read, as open descriptors; LIFO, as the walker goes deep first
// and so holds few descriptors at once.
class Work {
public:
    void push(std::vector<UniqueFd>& fds) {
        if (fds.empty())
            return;
        {
            std::lock_guard lock(mutex_);
            pending_ += fds.size();
            for (auto& fd : fds)
                ready_.push_back(std::move(fd));
        }
        fds.clear();
        more_.notify_all();
    }

    // The next directory, or an empty UniqueFd when every directory has been read.
    UniqueFd pop() {
        std::unique_lock lock(mutex_);
        more_.wait(lock, [&] { return !ready_.empty() || pending_ == 0; });
        if (ready_.empty())
            return {};
        UniqueFd fd = std::move(ready_.back());
        ready_.pop_back();
        return fd;
    }

    // One directory popped earlier has been read.
    void done() {
        std::lock_guard lock(mutex_);
        if (--pending_ == 0)
            more_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable more_;
    std::vector<UniqueFd> ready_;
    std::size_t pending_ = 0;
};

std::atomic<unsigned long long> entries{0}, dirs{0};

void worker(Work& work) {
    std::vector<char> buf(64 * 1024);
    std::vector<UniqueFd> found;
    unsigned long long seen = 0, subdirs = 0;
    for (UniqueFd dir; (dir = work.pop());) {
        int fd = dir.get();
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
                if (statx(fd, name, AT_SYMLINK_NOFOLLOW, statx_mask, &st) != 0 || !S_ISDIR(st.stx_mode))
                    continue;
                UniqueFd sub(openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (sub) {
                    ++subdirs;
                    found.push_back(std::move(sub));
                }
            }
        }
        dir.reset();
        work.push(found);
        work.done();
    }
    entries += seen;
    dirs += subdirs;
}

unsigned cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
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
    // A deep tree holds a descriptor per pending directory: allow as many as the hard limit.
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    Work work;
    std::vector<UniqueFd> roots;
    for (int i = first; i < argc; ++i) {
        UniqueFd fd(open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            std::fprintf(stderr, "walk-floor: %s: %s\n", argv[i], std::strerror(errno));
            return 2;
        }
        roots.push_back(std::move(fd));
    }
    dirs += roots.size();
    work.push(roots);

    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i)
        pool.emplace_back(worker, std::ref(work));
    for (auto& t : pool)
        t.join();
    std::printf("%llu entries, %llu directories\n", entries.load(), dirs.load());
    return 0;
}

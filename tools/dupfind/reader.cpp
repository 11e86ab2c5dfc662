#include "reader.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

namespace syskit::dupfind {

namespace {

/// Beyond this, a file is read ahead by the kernel's sequential readahead rather than all
/// at once when it is opened: a window of large files would otherwise fill the page cache.
constexpr std::uint64_t willneed_max = 1 << 20;

/// What sysfs says of the disk holding dev: 1 rotating, 0 not, -1 unknown.
int rotational(dev_t dev) {
    const std::string base = fmt::format("/sys/dev/block/{}:{}", major(dev), minor(dev));
    for (const char* rel : {"/queue/rotational", "/../queue/rotational"}) { // a disk, a partition
        std::string text;
        if (fs::read_file((base + rel).c_str(), text, 16) && !text.empty())
            return text[0] == '1' ? 1 : 0;
    }
    return -1;
}

/// One job's descriptor as the window opened it.
struct Slot {
    int fd = -1;
    int err = 0;
    bool ours = false; ///< its first page was not cached: what the read brings in is dropped after
};

} // namespace

unsigned reads_in_flight(dev_t dev) {
    switch (rotational(dev)) {
    case 1: return 16;
    case 0: return 128;
    default: return 32;
    }
}

std::uint64_t first_physical(int fd) {
    // struct fiemap ends in a flexible array: room for one extent after it.
    alignas(struct fiemap) unsigned char buf[sizeof(struct fiemap) + sizeof(struct fiemap_extent)] = {};
    auto* map = reinterpret_cast<struct fiemap*>(buf);
    map->fm_start = 0;
    map->fm_length = FIEMAP_MAX_OFFSET;
    map->fm_extent_count = 1;
    if (ioctl(fd, FS_IOC_FIEMAP, map) != 0 || map->fm_mapped_extents == 0)
        return 0;
    const struct fiemap_extent& e = map->fm_extents[0];
    if (e.fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED))
        return 0;
    return e.fe_physical;
}

void read_in_order(std::vector<ReadJob>& jobs, unsigned threads, bool cold, const std::function<int(const ReadJob&)>& open,
                   const std::function<void(const ReadJob&, int fd, int err, unsigned worker)>& read) {
    std::sort(jobs.begin(), jobs.end(), [](const ReadJob& a, const ReadJob& b) {
        return a.dev != b.dev ? a.dev < b.dev : a.where != b.where ? a.where < b.where : a.index < b.index;
    });
    for (std::size_t first = 0; first < jobs.size();) {
        std::size_t last = first;
        while (last < jobs.size() && jobs[last].dev == jobs[first].dev)
            ++last;
        const std::size_t n = last - first;
        const std::size_t window = std::min<std::size_t>(reads_in_flight(jobs[first].dev), n);
        std::vector<Slot> slots(n);
        std::unique_ptr<std::atomic<bool>[]> ready(new std::atomic<bool>[n]);
        for (std::size_t i = 0; i < n; ++i)
            ready[i].store(false, std::memory_order_relaxed);

        auto prepare = [&](std::size_t i) {
            const ReadJob& job = jobs[first + i];
            Slot& s = slots[i];
            s.fd = open(job);
            if (s.fd < 0) {
                s.err = errno;
            } else if (cold) {
                // One byte without waiting for the disk: whether the file was cached already.
                char byte;
                struct iovec iov{&byte, 1};
                const bool cached = preadv2(s.fd, &iov, 1, 0, RWF_NOWAIT) >= 0;
                s.ours = !cached && errno == EAGAIN;
                if (!cached) {
                    posix_fadvise(s.fd, 0, static_cast<off_t>(std::min(job.limit, willneed_max)), POSIX_FADV_WILLNEED);
                    if (job.limit > willneed_max)
                        posix_fadvise(s.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
                }
            }
            ready[i].store(true, std::memory_order_release);
            ready[i].notify_all();
        };
        for (std::size_t i = 0; i < window; ++i)
            prepare(i);

        std::atomic<std::size_t> next{0};
        auto work = [&](unsigned worker) {
            for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
                // Whoever takes job i opens job i + window: the window moves with the workers.
                if (i + window < n)
                    prepare(i + window);
                ready[i].wait(false, std::memory_order_acquire);
                Slot& s = slots[i];
                fs::UniqueFd fd(s.fd);
                read(jobs[first + i], s.fd, s.err, worker);
                if (fd && s.ours)
                    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
            }
        };
        const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1u), n));
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < workers; ++t)
            pool.emplace_back(work, t);
        work(0);
        for (auto& t : pool)
            t.join();
        first = last;
    }
}

} // namespace syskit::dupfind

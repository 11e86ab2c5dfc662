#include "reader.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

namespace syskit::dupfind {

namespace {

/// Beyond this, a file is read ahead by the kernel's sequential readahead rather than all
/// at once when it is opened: a window of large files would otherwise fill the page cache.
constexpr std::uint64_t willneed_max = 1 << 20;

/// What sysfs says of the disk holding dev: 1 rotating, 0 not, -1 unknown.  A virtio disk
/// counts as not rotating whatever its flag says: virtio-blk cannot tell the guest, and
/// Linux then sets the flag; the one this was measured on, flagged rotating, served random
/// 4 KiB reads at 45,000 a second with 16 in flight and 60,000 with 64, in any order.
int rotational(dev_t dev) {
    const std::string base = fmt::format("/sys/dev/block/{}:{}", major(dev), minor(dev));
    for (const char* rel : {"", "/.."}) { // a disk, a partition
        char driver[256];
        const ssize_t n = readlink((base + rel + "/device/driver").c_str(), driver, sizeof driver - 1);
        if (n > 0 && std::string_view(driver, static_cast<std::size_t>(n)).ends_with("/virtio_blk"))
            return 0;
        std::string text;
        if (fs::read_file((base + rel + "/queue/rotational").c_str(), text, 16) && !text.empty())
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

/// Starts the reads of a batch of files with one io_uring_enter: a read of each with
/// RWF_NOWAIT, which the kernel answers at once, from the page cache or with EAGAIN, having
/// started the read-ahead of what was missing.  All of a batch's disk requests are thus
/// issued under one block plug: those of files lying side by side on the disk merge into
/// one request, and a virtual disk is notified once per batch, not once per file (that
/// notification, a VM exit, was the largest cost of a cold run on a virtio disk).
class Ahead {
public:
    explicit Ahead(unsigned depth) { ok_ = io_uring_queue_init(depth, &ring_, 0) == 0; }
    ~Ahead() {
        if (ok_)
            io_uring_queue_exit(&ring_);
    }
    Ahead(const Ahead&) = delete;
    Ahead& operator=(const Ahead&) = delete;

    /// False where io_uring is not available (an old kernel, a seccomp filter, or
    /// kernel.io_uring_disabled): then each file is probed and advised on its own.
    explicit operator bool() const { return ok_; }

    /// Starts reading the first len(i) bytes of each slot's descriptor, and sets its ours
    /// when none of that was cached.  False when the batch could not be submitted.
    template <class Len> bool start(Slot* slots, std::size_t n, Len len) {
        std::lock_guard lock(mu_); // one ring, batches prepared by several workers
        unsigned queued = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (slots[i].fd < 0)
                continue;
            io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
            if (!sqe)
                break;
            // Every read of a batch lands in one scratch buffer that nobody reads: what
            // matters is the page cache it fills.  Reads of one batch run one after the
            // other in the submitting call, and batches under the lock.
            io_uring_prep_read(sqe, slots[i].fd, scratch_.get(), static_cast<unsigned>(std::min(len(i), willneed_max)), 0);
            sqe->rw_flags = RWF_NOWAIT;
            io_uring_sqe_set_data64(sqe, i);
            ++queued;
        }
        if (queued == 0)
            return true;
        int submitted;
        while ((submitted = io_uring_submit(&ring_)) == -EINTR) {
        }
        if (submitted <= 0)
            return false;
        io_uring_cqe* cqe;
        int rc;
        while ((rc = io_uring_wait_cqe_nr(&ring_, &cqe, static_cast<unsigned>(submitted))) == -EINTR) {
        }
        if (rc < 0)
            return false;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            slots[io_uring_cqe_get_data64(cqe)].ours = cqe->res == -EAGAIN;
            ++seen;
        }
        io_uring_cq_advance(&ring_, seen);
        return true;
    }

private:
    bool ok_ = false;
    io_uring ring_;
    std::mutex mu_;
    std::unique_ptr<char[]> scratch_{new char[willneed_max]};
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
        std::unique_ptr<Ahead> ahead;
        if (cold) {
            ahead = std::make_unique<Ahead>(static_cast<unsigned>(std::max<std::size_t>(1, window / 4)));
            if (!*ahead)
                ahead.reset();
        }
        // The window is opened a batch at a time: a quarter of it, so that a batch is started
        // while three more are still being read.
        const std::size_t batch = cold && ahead ? std::max<std::size_t>(1, window / 4) : 1;
        std::vector<Slot> slots(n);
        std::unique_ptr<std::atomic<bool>[]> ready(new std::atomic<bool>[n]);
        for (std::size_t i = 0; i < n; ++i)
            ready[i].store(false, std::memory_order_relaxed);

        auto limit = [&](std::size_t i) { return jobs[first + i].limit; };
        const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1u), n));
        // Opens jobs [from, from + batch), and starts their reads when cold.
        auto prepare = [&](std::size_t from) {
            const std::size_t to = std::min(from + batch, n);
            for (std::size_t i = from; i < to; ++i) {
                Slot& s = slots[i];
                s.fd = open(jobs[first + i]);
                if (s.fd < 0)
                    s.err = errno;
                else if (cold && limit(i) > willneed_max)
                    posix_fadvise(s.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
                else if (cold && jobs[first + i].partial)
                    // The first read of a file reads ahead past it (16 KiB for a 4 KiB read),
                    // bytes a prefix does not need, dropped after unread: a fifth of what a
                    // cold run of the standard corpus read.
                    posix_fadvise(s.fd, 0, 0, POSIX_FADV_RANDOM);
            }
            if (cold && !(ahead && ahead->start(&slots[from], to - from, [&](std::size_t k) { return limit(from + k); }))) {
                for (std::size_t i = from; i < to; ++i) {
                    Slot& s = slots[i];
                    if (s.fd < 0)
                        continue;
                    // One byte without waiting for the disk: whether the file was cached already.
                    char byte;
                    struct iovec iov{&byte, 1};
                    const bool cached = preadv2(s.fd, &iov, 1, 0, RWF_NOWAIT) >= 0;
                    s.ours = !cached && errno == EAGAIN;
                    if (!cached)
                        posix_fadvise(s.fd, 0, static_cast<off_t>(std::min(limit(i), willneed_max)), POSIX_FADV_WILLNEED);
                }
            }
            for (std::size_t i = from; i < to; ++i) {
                ready[i].store(true, std::memory_order_release);
                ready[i].notify_all();
            }
        };
        for (std::size_t i = 0; i < window; i += batch)
            prepare(i);

        std::atomic<std::size_t> next{0};
        auto work = [&](unsigned worker) {
            for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
                // Whoever takes job i opens the batch at i + window: the window moves with the workers.
                if (i + window < n && (i + window) % batch == 0)
                    prepare(i + window);
                ready[i].wait(false, std::memory_order_acquire);
                Slot& s = slots[i];
                fs::UniqueFd fd(s.fd);
                read(jobs[first + i], s.fd, s.err, worker);
                if (fd && s.ours)
                    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
            }
        };
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

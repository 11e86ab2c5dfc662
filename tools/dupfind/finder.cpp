#include "finder.hpp"

#include "cli/walk.hpp"
#include "fs/beneath.hpp"
#include "fs/fd.hpp"
#include "huge.hpp"
#include "reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <memory>
#include <thread>

#include <fmt/format.h>

namespace syskit::dupfind {

namespace {

constexpr std::size_t read_block = 1 << 18;

/// A cache record used within this long is not written back just to say it was used.
constexpr std::int64_t use_refresh_seconds = 24 * 3600;

/// What the walk keeps of a regular file name: 72 bytes (static_assert below), and its path and digest in its
/// worker's Store.
struct Seen {
    fs::FileId id;
    std::uint64_t size;
    std::int64_t mtime_sec;
    std::int64_t ctime_sec;
    std::uint32_t mtime_nsec;
    std::uint32_t ctime_nsec;
    const char* bytes;        ///< the path, a NUL, then the digest
    std::uint32_t path_size;
    std::uint32_t root;
    std::uint32_t base;       ///< Name::base
    std::uint8_t digest_size; ///< of File::digest, 0 when the walk did not read the file

    std::string_view path() const { return {bytes, path_size}; }
    std::string_view digest() const { return {bytes + path_size + 1, digest_size}; }
};
static_assert(sizeof(Seen) == 72);

/// One walk thread's Seen records and the bytes of their paths and digests, in blocks that
/// never move: a record costs no allocation of its own and no copy when the list grows, and
/// a path no allocation until it becomes a candidate's Name.  A block is a huge page
/// (huge.hpp): the first writes to 4 KiB pages were most of what the walk cost above its
/// system calls.
class Store {
public:
    /// first: the bytes of its first blocks, the later ones being 2 MiB.  The walk's
    /// io_threads each list a small share of the tree, and start small.
    explicit Store(std::size_t first = block) : first_(first) {}

    void add(Seen s, std::string_view path, std::string_view digest) {
        if (seen_.empty() || seen_.back().size() == seen_.back().capacity()) {
            seen_.emplace_back();
            seen_.back().reserve((seen_.size() == 1 ? first_ : block) / sizeof(Seen));
        }
        s.bytes = keep(path, digest);
        s.path_size = static_cast<std::uint32_t>(path.size());
        s.digest_size = static_cast<std::uint8_t>(digest.size());
        seen_.back().push_back(s);
        ++size_;
    }
    std::size_t size() const { return size_; }
    template <class F> void each(F f) {
        for (auto& b : seen_)
            for (Seen& s : b)
                f(s);
    }

private:
    static constexpr std::size_t block = std::size_t{2} << 20;
    struct Free {
        std::size_t bytes;
        void operator()(char* p) const noexcept { huge_free(p, bytes); }
    };
    const char* keep(std::string_view path, std::string_view digest) {
        const std::size_t size = path.size() + 1 + digest.size();
        if (size > left_) {
            const std::size_t n = std::max(paths_.empty() ? first_ : block, size);
            paths_.emplace_back(static_cast<char*>(huge_allocate(n)), Free{n});
            next_ = paths_.back().get();
            left_ = n;
        }
        char* kept = next_;
        std::memcpy(kept, path.data(), path.size());
        kept[path.size()] = '\0'; // for open(2)
        std::memcpy(kept + path.size() + 1, digest.data(), digest.size());
        next_ += size;
        left_ -= size;
        return kept;
    }
    std::size_t first_;
    std::vector<std::vector<Seen, HugeAllocator<Seen>>> seen_;
    std::vector<std::unique_ptr<char[], Free>> paths_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
    std::size_t size_ = 0;
};

bool name_less(const Name& a, const Name& b) { return a.root != b.root ? a.root < b.root : a.path < b.path; }
bool seen_less(const Seen& a, const Seen& b) { return a.root != b.root ? a.root < b.root : a.path() < b.path(); }

/// Feeds the first limit bytes of the file open on fd to h.  False with errno set when they
/// cannot be read, ESTALE when the file is shorter than that now.
bool hash_range(int fd, std::uint64_t limit, Hasher& h) {
    thread_local std::vector<char> buf(read_block);
    if (limit > read_block)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    std::uint64_t done = 0;
    while (done < limit) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(read_block, limit - done));
        ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ESTALE;
            return false;
        }
        h.update(buf.data(), static_cast<std::size_t>(n));
        done += static_cast<std::uint64_t>(n);
    }
    return true;
}

} // namespace

namespace {

/// Opens the directory holding name, for openat() of the files in it.
fs::UniqueFd open_dir(const Name& name, const std::vector<std::string>& roots) {
    fs::UniqueFd fd(open(name.dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd && errno == ENAMETOOLONG) {
        // Deeper than PATH_MAX: from the root, one component at a time.
        fs::UniqueFd root(open(roots[name.root].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (root) {
            std::string_view rel = fs::below_root(name.path, roots[name.root]);
            std::size_t slash = rel.rfind('/');
            fd = fs::open_beneath(root.get(), slash == std::string_view::npos ? "" : rel.substr(0, slash));
        }
    }
    return fd;
}

/// Opens path, relative to dirfd, and checks it is still the file f (a File or a Seen) the
/// walk saw.
template <class F> int open_in(int dirfd, const char* path, const F& f, bool follow) {
    const char* base = path;
    int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    fs::UniqueFd fd(openat(dirfd, base, flags | O_NOATIME));
    if (!fd && errno == EPERM) // O_NOATIME needs ownership or CAP_FOWNER
        fd.reset(openat(dirfd, base, flags));
    if (!fd)
        return -1;
    struct stat st;
    if (fstat(fd.get(), &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode) || st.st_dev != f.id.dev || st.st_ino != f.id.ino ||
        static_cast<std::uint64_t>(st.st_size) != f.size || st.st_mtim.tv_sec != f.mtime_sec ||
        static_cast<std::uint32_t>(st.st_mtim.tv_nsec) != f.mtime_nsec) {
        errno = ESTALE;
        return -1;
    }
    return fd.release();
}

} // namespace

int open_unchanged(const File& f, const Name& name, const std::vector<std::string>& roots) {
    int fd = open_in(AT_FDCWD, name.path.c_str(), f, name.follow);
    if (fd >= 0 || errno != ENAMETOOLONG)
        return fd;
    fs::UniqueFd dir = open_dir(name, roots);
    return dir ? open_in(dir.get(), name.path.c_str() + name.base, f, name.follow) : -1;
}

namespace {

/// open_unchanged for a name the walk kept.
int open_seen(const Seen& s, bool follow, const std::vector<std::string>& roots) {
    int fd = open_in(AT_FDCWD, s.bytes, s, follow);
    if (fd >= 0 || errno != ENAMETOOLONG)
        return fd;
    fs::UniqueFd dir = open_dir(Name{std::pmr::string(s.path()), s.root, s.base, follow}, roots);
    return dir ? open_in(dir.get(), s.bytes + s.base, s, follow) : -1;
}

} // namespace

bool same_bytes(int a, int b, std::uint64_t size, int& err) {
    thread_local std::vector<char> ba(read_block), bb(read_block);
    std::uint64_t done = 0;
    while (done < size) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(read_block, size - done));
        ssize_t ra = pread(a, ba.data(), want, static_cast<off_t>(done));
        ssize_t rb = pread(b, bb.data(), want, static_cast<off_t>(done));
        if (ra < 0 || rb < 0) {
            err = errno;
            return false;
        }
        if (ra != rb || ra == 0 || std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(ra)) != 0) {
            err = 0;
            return false;
        }
        done += static_cast<std::uint64_t>(ra);
    }
    err = 0;
    return true;
}

namespace {

/// Whether the walk reads the small files it finds.  It does while they come from the page
/// cache: then one openat relative to the directory the walk has open and one read is the
/// least a file costs, where the reading passes after the walk would open it by its path
/// again.  On a cold cache it would read in directory order, a seek per file: after
/// cold_after misses making an eighth of the files tried, it stops, and the passes read
/// the rest in disk order.
class SmallReads {
public:
    bool on() const { return !cold_.load(std::memory_order_relaxed); }
    void hit() { hits_.fetch_add(1, std::memory_order_relaxed); }
    void miss() {
        const std::uint64_t m = misses_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (m >= cold_after && m * 8 >= hits_.load(std::memory_order_relaxed))
            cold_.store(true, std::memory_order_relaxed);
    }
    /// Whether the cache looks cold: the walk stopped reading, or found nothing to read.
    bool cold() const { return !on() || hits_.load(std::memory_order_relaxed) == 0; }

private:
    static constexpr std::uint64_t cold_after = 32;
    std::atomic<std::uint64_t> hits_{0}, misses_{0};
    std::atomic<bool> cold_{false};
};

/// Reads the file e names, size bytes at most prefix_size, while the walk has its directory
/// open, and returns its digest; empty when it is not in the page cache (told to reads),
/// cannot be read or is not size bytes long now (the reading passes try again, and report).
Digest hash_small(const fs::Entry& e, const struct statx& st, bool follow, Hasher& h, SmallReads& reads,
                  FindCounters* counters) {
    static const uid_t euid = geteuid();
    const std::size_t size = static_cast<std::size_t>(st.stx_size);
    int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    // O_NOATIME needs ownership or CAP_FOWNER: asked only where it may be granted.
    const bool noatime = euid == 0 || st.stx_uid == euid;
    fs::UniqueFd fd(openat(e.dirfd, e.at_name.data(), flags | (noatime ? O_NOATIME : 0)));
    if (!fd && noatime && errno == EPERM)
        fd.reset(openat(e.dirfd, e.at_name.data(), flags));
    if (!fd)
        return {};
    char buf[prefix_size + 1];
    struct iovec iov{buf, size + 1}; // one more than expected: a file that grew shows
    ssize_t n = preadv2(fd.get(), &iov, 1, 0, RWF_NOWAIT);
    if (n < 0 && errno == EAGAIN) {
        reads.miss();
        return {};
    }
    if (n < 0 && errno == EOPNOTSUPP) // the file system cannot tell: read it anyway
        n = pread(fd.get(), buf, size + 1, 0);
    if (n != static_cast<ssize_t>(size))
        return {};
    reads.hit();
    if (counters)
        counters->bytes_hashed.fetch_add(size, std::memory_order_relaxed);
    h.reset();
    h.update(buf, size);
    return h.result();
}

CacheKey key_of(const fs::FileId& id, std::uint64_t size, std::int64_t mtime_sec, std::uint32_t mtime_nsec,
                std::int64_t ctime_sec, std::uint32_t ctime_nsec) {
    return CacheKey{static_cast<std::uint64_t>(id.dev), static_cast<std::uint64_t>(id.ino), size, mtime_sec, mtime_nsec,
                    ctime_sec, ctime_nsec};
}

template <class F> CacheKey key_of(const F& f) {
    return key_of(f.id, f.size, f.mtime_sec, f.mtime_nsec, f.ctime_sec, f.ctime_nsec);
}

/// 1. Walk: every regular file in range, by name, in one list per worker thread.  With
/// reads (and hashers, one per worker), the small files are read as SmallReads says;
/// nothing else is read yet: reading while the walk goes reads in directory order, which on
/// a cold cache is a seek per file.
std::vector<Store> walk_files(const FindOptions& opt, const fs::WalkOptions& wopt, const OnError& on_error,
                                          FindCounters* counters, SmallReads* reads = nullptr,
                                          std::vector<Hasher>* hashers = nullptr) {
    const bool follow = wopt.flags & fs::walk_follow;
    const unsigned all = fs::walk_threads(wopt), io_first = all - wopt.io_threads;
    std::vector<Store> per_worker;
    per_worker.reserve(all);
    for (unsigned w = 0; w < all; ++w)
        per_worker.emplace_back(w < io_first ? Store() : Store(std::size_t{128} << 10));
    fs::walk(
        wopt,
        [&](const fs::Entry& e) {
            if (!e.loop_of.empty()) {
                if (opt.warn)
                    opt.warn(e.path, fs::entry_error(e));
                return fs::Action::next;
            }
            if (e.error) {
                on_error(e.path, e.error);
                return fs::Action::next;
            }
            if (e.link_error == ELOOP) { // a loop of links: find -L names it too
                on_error(e.path, ELOOP);
                return fs::Action::next;
            }
            if (e.type != S_IFREG)
                return fs::Action::next;
            // Only regular files need their size: the walk is asked to statx nothing else.
            struct statx own;
            if (!e.st) {
                int flags = AT_NO_AUTOMOUNT | (follow ? 0 : AT_SYMLINK_NOFOLLOW);
                if (statx(e.dirfd, e.at_name.data(), flags, wopt.statx_mask, &own) != 0) {
                    on_error(e.path, errno);
                    return fs::Action::next;
                }
            }
            const struct statx& st = e.st ? *e.st : own;
            if (!S_ISREG(st.stx_mode))
                return fs::Action::next;
            if (st.stx_size < opt.min_size || st.stx_size > opt.max_size)
                return fs::Action::next;
            if (!opt.include.empty() && !opt.include.matches(e.path, e.name))
                return fs::Action::next;
            std::size_t slash = e.path.rfind('/');
            auto base = static_cast<std::uint32_t>(slash == std::string_view::npos ? 0 : slash + 1);
            Seen seen{fs::file_id(st), st.stx_size, st.stx_mtime.tv_sec, st.stx_ctime.tv_sec,
                            st.stx_mtime.tv_nsec, st.stx_ctime.tv_nsec, nullptr, 0, static_cast<std::uint32_t>(e.root),
                            base, 0};
            Digest digest;
            // A file the cache may know is left to the lookups after the walk.
            if (reads && reads->on() && st.stx_size > 0 && st.stx_size <= prefix_size &&
                !(opt.cache && opt.cache->may_hold(key_of(seen))))
                digest = hash_small(e, st, follow, (*hashers)[e.worker], *reads, counters);
            per_worker[e.worker].add(seen, e.path, digest.view());
            if (counters)
                counters->files.fetch_add(1, std::memory_order_relaxed);
            return fs::Action::next;
        },
        counters ? &counters->walk : nullptr);

    return per_worker;
}

/// 2's result: the candidates, as references into the walk's Stores.  Files become Files,
/// with a std::string per name, only once they are in a group: most candidates never are.
struct Classes {
    /// Every name of every candidate, by size, inode, root and path: the names of one
    /// candidate are a run.
    std::vector<const Seen*, HugeAllocator<const Seen*>> names;
    /// One candidate (an inode): its names are names[first, first + count).
    struct Cand {
        std::uint32_t first, count;
    };
    std::vector<Cand, HugeAllocator<Cand>> files; ///< by size, then inode
    /// Each size class: files[begin, end).
    std::vector<std::pair<std::uint32_t, std::uint32_t>> classes;

    const Seen& seen(std::size_t file) const { return *names[files[file].first]; }
};

/// 2. By size, then inode: names of one inode become one candidate, and the inodes of each
/// size that two or more have a class.  What is sorted is a small key per name, not the
/// names: most of the time of this step went to moving them.  With two threads or more,
/// the keys are split at a size near their median and each part sorted on a thread of its
/// own: the sort was most of this step, and on the critical path of a cached run.
Classes size_classes(std::vector<Store>& per_worker, unsigned threads) {
    struct Key {
        std::uint64_t size;
        fs::FileId id;
        const Seen* seen;
    };
    std::size_t total = 0;
    for (const auto& v : per_worker)
        total += v.size();
    std::vector<Key, HugeAllocator<Key>> keys;
    keys.reserve(total);
    for (Store& store : per_worker)
        store.each([&](Seen& s) { keys.push_back(Key{s.size, s.id, &s}); });
    auto less = [](const Key& a, const Key& b) {
        if (a.size != b.size)
            return a.size < b.size;
        if (a.id.dev != b.id.dev)
            return a.id.dev < b.id.dev;
        if (a.id.ino != b.id.ino)
            return a.id.ino < b.id.ino;
        return seen_less(*a.seen, *b.seen);
    };
    auto mid = keys.begin();
    if (threads > 1 && keys.size() >= 1024) {
        std::vector<std::uint64_t> sample;
        for (std::size_t i = 0; i < keys.size(); i += keys.size() / 255)
            sample.push_back(keys[i].size);
        std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(sample.size() / 2), sample.end());
        const std::uint64_t pivot = sample[sample.size() / 2];
        mid = std::partition(keys.begin(), keys.end(), [&](const Key& k) { return k.size < pivot; });
    }
    if (mid == keys.begin()) {
        std::sort(keys.begin(), keys.end(), less);
    } else {
        std::thread other([&] { std::sort(mid, keys.end(), less); });
        std::sort(keys.begin(), mid, less);
        other.join();
    }
    Classes out;
    out.names.reserve(total); // at most every name: no copies as they grow, nor the faults of new pages
    out.files.reserve(total);
    for (std::size_t i = 0; i < keys.size();) {
        std::size_t j = i + 1;
        while (j < keys.size() && keys[j].size == keys[i].size)
            ++j;
        if (j - i >= 2 && !(keys[i].id == keys[j - 1].id)) { // two or more inodes
            const auto begin = static_cast<std::uint32_t>(out.files.size());
            for (std::size_t k = i; k < j; ++k) {
                if (k == i || !(keys[k].id == keys[k - 1].id))
                    out.files.push_back({static_cast<std::uint32_t>(out.names.size()), 0});
                out.names.push_back(keys[k].seen);
                ++out.files.back().count;
            }
            out.classes.emplace_back(begin, static_cast<std::uint32_t>(out.files.size()));
        }
        i = j;
    }
    return out;
}

/// What the hashing passes know of one file: 24 bytes.  The digests (all of the run's
/// algorithm, so of one size) stay where they were found: the walk's Store, the cache, or
/// the buffer of the pass that hashed the file.  Held inline they took 144 bytes a file,
/// and on a cached run the fresh memory for them cost more than the lookups filling it.
struct Hashes {
    const char* first = nullptr; ///< of its first prefix_size bytes (of all of it, when that is less)
    const char* full = nullptr;  ///< of all of it, when needed
    bool fresh = false;          ///< hashed by this run rather than taken from the cache
    bool refresh = false;        ///< taken from a cache record last used long ago: mark it used
};

/// A digest's first bytes as hash_classes sorts them: compared as numbers, they order as the
/// bytes do (an unknown digest, empty, first).
struct DigestKey {
    static constexpr std::size_t bytes = 16; ///< every HashKind's digest has this many at least
    std::uint64_t high = 0, low = 0;
    std::uint32_t index = 0; ///< of the file
    bool known = false;

    static DigestKey of(std::string_view digest, std::uint32_t index) {
        DigestKey k;
        k.index = index;
        k.known = !digest.empty();
        if (k.known) {
            k.high = big_endian(digest.data());
            k.low = big_endian(digest.data() + 8);
        }
        return k;
    }
    bool before(const DigestKey& o) const {
        if (known != o.known)
            return o.known;
        return high != o.high ? high < o.high : low < o.low;
    }

private:
    static std::uint64_t big_endian(const char* p) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v = v << 8 | static_cast<unsigned char>(p[i]);
        return v;
    }
};

/// Calls work(0, 0, half) here and work(1, half, n) on a thread of its own, when there are
/// two threads or more and n is worth one; work(0, 0, n) alone otherwise.  What a cached run
/// does after the walk is mostly cache misses, which two CPUs take in half the time.
template <class Work> void in_halves(std::size_t n, unsigned threads, Work work) {
    const std::size_t half = threads > 1 && n >= 1024 ? n / 2 : n;
    std::thread other;
    if (half < n)
        other = std::thread([&] { work(1, half, n); });
    work(0, 0, half);
    if (other.joinable())
        other.join();
}

/// Appends the elements of from to to.
template <class T> void append(std::vector<T>& to, const std::vector<T>& from) { to.insert(to.end(), from.begin(), from.end()); }

/// A digest found somewhere, as Hashes holds it.
const char* digest_at(std::string_view digest) { return digest.empty() ? nullptr : digest.data(); }

/// 3. Hashing, in two passes over every size class at once, each reading in disk order
/// (read_in_order, with its read-ahead when cold): the first prefix_size bytes of every
/// file (all of a file no larger) the walk did not read, then all of the larger files whose
/// prefixes collide.  The cache, when given, stands in for either read.  Returns the groups
/// of equal full digests, in the order of their first names.  threads: the workers reading; hashers: one per worker at least.
std::vector<Group> hash_classes(const Classes& cl, bool follow, const FindOptions& opt, unsigned threads,
                                std::vector<Hasher>& hashers, bool cold, const OnError& on_error, FindCounters* counters) {
    const std::vector<std::string>& roots = opt.walk.roots;
    const std::int64_t now = std::time(nullptr);
    const std::size_t dsize = digest_size(opt.hash);
    std::vector<Hashes, HugeAllocator<Hashes>> state(cl.files.size()); // job index: the file's in cl.files
    // Where the data of the larger files starts on the disk (FIEMAP), learned by the first
    // pass for the second's order; only when cold, and the first pass reads.
    std::vector<std::uint64_t> where;
    // The digests each pass computes: a slot per job, as the jobs lie once read_in_order
    // has sorted them.
    std::vector<char> hashed[2];
    auto seen = [&](std::size_t file) -> const Seen& { return cl.seen(file); };
    auto open = [&](const ReadJob& job) { return open_seen(seen(job.index), follow, roots); };
    auto hash = [&](const std::vector<ReadJob>& jobs, const ReadJob& job, int fd, int err, unsigned worker, bool first) {
        const Seen& f = seen(job.index);
        if (fd < 0) {
            on_error(f.path(), err);
            return;
        }
        Hasher& h = hashers[worker];
        h.reset();
        if (!hash_range(fd, job.limit, h)) {
            on_error(f.path(), errno);
            return;
        }
        if (counters)
            counters->bytes_hashed.fetch_add(job.limit, std::memory_order_relaxed);
        const Digest d = h.result();
        char* slot = hashed[first ? 0 : 1].data() + static_cast<std::size_t>(&job - jobs.data()) * dsize;
        std::memcpy(slot, d.view().data(), dsize);
        Hashes& s = state[job.index];
        (first ? s.first : s.full) = slot;
        s.fresh = true;
        if (first && cold && f.size > prefix_size)
            where[job.index] = first_physical(fd);
    };

    std::vector<ReadJob> jobs, more_jobs; // those found by in_halves' second thread in more_jobs
    auto first_pass = [&](std::size_t i, const Seen& f, std::size_t& from, std::vector<ReadJob>& jobs) {
        Hashes& s = state[i];
        if (f.size == 0)
            return;
        if (f.digest_size) { // read by the walk
            s.first = f.digest().data();
            s.fresh = true;
            return;
        }
        if (opt.cache) {
            if (auto hit = opt.cache->view(key_of(f), opt.hash, from)) {
                s.first = digest_at(f.size <= prefix_size ? hit->full : hit->prefix);
                s.full = digest_at(hit->full);
                s.refresh = hit->used < now - use_refresh_seconds;
            }
        }
        if (!s.first)
            jobs.push_back(ReadJob{f.id.dev, f.id.ino, std::min(f.size, prefix_size), i, f.size > prefix_size});
    };
    if (opt.cache) {
        // In key order, the cache's records are read as they lie (HashCache::view).
        // With its walk record: reached through the candidate's first name, in an order
        // that is not the candidates', it cost two more cache misses a file.
        struct ById {
            fs::FileId id;
            const Seen* seen;
            std::uint32_t index;
        };
        std::vector<ById, HugeAllocator<ById>> by_id(cl.files.size());
        // Each half in key order: each thread goes through the records once.  Each fills its
        // half too, a walk record read for each file.
        in_halves(by_id.size(), threads, [&](unsigned part, std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i)
                by_id[i] = ById{seen(i).id, &seen(i), static_cast<std::uint32_t>(i)};
            std::sort(by_id.begin() + static_cast<std::ptrdiff_t>(begin), by_id.begin() + static_cast<std::ptrdiff_t>(end),
                      [](const ById& a, const ById& b) {
                          return a.id.dev != b.id.dev ? a.id.dev < b.id.dev : a.id.ino < b.id.ino;
                      });
            std::size_t from = 0;
            for (std::size_t k = begin; k < end; ++k)
                first_pass(by_id[k].index, *by_id[k].seen, from, part ? more_jobs : jobs);
        });
        append(jobs, more_jobs);
    } else {
        std::size_t from = 0;
        for (std::size_t i = 0; i < cl.files.size(); ++i)
            first_pass(i, seen(i), from, jobs);
    }
    if (cold && !jobs.empty())
        where.resize(cl.files.size());
    hashed[0].resize(jobs.size() * dsize);
    read_in_order(jobs, threads, cold, open,
                  [&](const ReadJob& job, int fd, int err, unsigned worker) { hash(jobs, job, fd, err, worker, true); });

    auto view = [&](const char* d) { return d ? std::string_view(d, dsize) : std::string_view(); };
    auto first_of = [&](std::size_t i) { return view(state[i].first); };
    auto full_of = [&](std::size_t i) { return view(state[i].full); };
    const Digest empty_digest = Hasher(opt.hash).result();
    auto empty_of = [&](std::size_t) { return empty_digest.view(); }; // empty files are all equal
    // The files of each class, then of each run of equal digests in it, as ranges of order:
    // no vector per class or per run.
    using Range = std::pair<std::uint32_t, std::uint32_t>;
    std::vector<std::uint32_t, HugeAllocator<std::uint32_t>> order(cl.files.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<std::uint32_t>(i);
    // Sorts order[r] by digest_of, then by first name, and gives found each run of two or
    // more equal digests; an empty digest (unread) matches nothing.  What is sorted is a key
    // per file holding the first 16 bytes of its digest (all of an xxh3-128 or md5 digest)
    // as numbers that compare as the bytes do: the digests lie in the cache's mapping, the
    // walk's records or a pass's buffer, and reading two at each comparison cost cache
    // misses that reading each once does not.
    auto split = [&](Range r, auto digest_of, auto found) {
        thread_local std::vector<DigestKey> keys;
        keys.clear();
        for (std::uint32_t k = r.first; k < r.second; ++k)
            keys.push_back(DigestKey::of(digest_of(order[k]), order[k]));
        auto rest = [&](const DigestKey& k) { return digest_of(k.index).substr(DigestKey::bytes); };
        std::sort(keys.begin(), keys.end(), [&](const DigestKey& a, const DigestKey& b) {
            if (a.known != b.known || a.high != b.high || a.low != b.low)
                return a.before(b);
            if (a.known && dsize > DigestKey::bytes)
                if (const int c = rest(a).compare(rest(b)))
                    return c < 0;
            return seen_less(seen(a.index), seen(b.index));
        });
        auto same = [&](const DigestKey& a, const DigestKey& b) {
            return a.known == b.known && a.high == b.high && a.low == b.low &&
                   (!a.known || dsize <= DigestKey::bytes || rest(a) == rest(b));
        };
        for (std::size_t k = 0; k < keys.size(); ++k)
            order[r.first + k] = keys[k].index;
        for (std::size_t i = 0; i < keys.size();) {
            std::size_t j = i + 1;
            while (j < keys.size() && same(keys[j], keys[i]))
                ++j;
            if (j - i >= 2 && keys[i].known)
                found(Range{r.first + static_cast<std::uint32_t>(i), r.first + static_cast<std::uint32_t>(j)});
            i = j;
        }
    };
    // Groups; prefix runs of larger files; and the jobs to read them, from each half of the
    // classes.
    struct Found {
        std::vector<Range> runs, pending;
        std::vector<ReadJob> jobs;
    } found[2];
    in_halves(cl.classes.size(), threads, [&](unsigned part, std::size_t begin, std::size_t end) {
        Found& out = found[part];
        for (std::size_t k = begin; k < end; ++k) {
            const Range c = cl.classes[k];
            const std::uint64_t size = seen(c.first).size;
            if (size == 0)
                split(c, empty_of, [&](Range r) { out.runs.push_back(r); });
            else if (size <= prefix_size)
                split(c, first_of, [&](Range r) { out.runs.push_back(r); });
            else
                split(c, first_of, [&](Range r) {
                    for (std::uint32_t j = r.first; j < r.second; ++j)
                        if (const std::uint32_t i = order[j]; !state[i].full)
                            out.jobs.push_back(
                                ReadJob{seen(i).id.dev, !where.empty() && where[i] ? where[i] : seen(i).id.ino, size, i});
                    out.pending.push_back(r);
                });
        }
    });
    std::vector<Range>& runs = found[0].runs;
    append(runs, found[1].runs);
    append(found[0].pending, found[1].pending);
    jobs = std::move(found[0].jobs);
    append(jobs, found[1].jobs);
    hashed[1].resize(jobs.size() * dsize);
    read_in_order(jobs, threads, cold, open,
                  [&](const ReadJob& job, int fd, int err, unsigned worker) { hash(jobs, job, fd, err, worker, false); });
    std::vector<Range> more_runs;
    in_halves(found[0].pending.size(), threads, [&](unsigned part, std::size_t begin, std::size_t end) {
        for (std::size_t k = begin; k < end; ++k)
            split(found[0].pending[k], full_of, [&](Range equal) { (part ? more_runs : runs).push_back(equal); });
    });
    append(runs, more_runs);
    // The runs in the order of their first names (split put each run's first), which is the
    // groups' order: sorting a name and a range per run costs less than sorting the
    // groups once made (a shared_ptr, a string and a vector each, their names further away).
    {
        struct Named {
            std::uint32_t root;
            std::string_view path;
            Range run;
        };
        std::vector<Named> named;
        named.reserve(runs.size());
        for (const Range& r : runs) {
            const Seen& first = seen(order[r.first]);
            named.push_back(Named{first.root, first.path(), r});
        }
        std::sort(named.begin(), named.end(),
                  [](const Named& a, const Named& b) { return a.root != b.root ? a.root < b.root : a.path < b.path; });
        for (std::size_t k = 0; k < runs.size(); ++k)
            runs[k] = named[k].run;
    }

    if (opt.learned) {
        for (std::size_t i = 0; i < cl.files.size(); ++i) {
            const Hashes& s = state[i];
            if (!s.fresh && !s.refresh) // all but a few of a cached run's: its walk record is not read
                continue;
            const Seen& f = seen(i);
            if (f.size > 0)
                opt.learned->emplace_back(key_of(f),
                                          CacheHashes{opt.hash, std::string(f.size <= prefix_size ? "" : first_of(i)),
                                                      std::string(f.size <= prefix_size ? first_of(i) : full_of(i)), 0});
        }
    }
    // Each thread making groups puts them in a vector and an arena of its own.  A Group's
    // std::pmr members keep the arena they were made with when moved, not when assigned.
    auto build = [&](std::size_t from, std::size_t to, std::vector<Group>& out) {
        auto memory = std::make_shared<HugeArena>();
        for (std::size_t k = from; k < to; ++k) {
            const Range run = runs[k];
            const Seen& one = seen(order[run.first]);
            const std::string_view d = one.size == 0              ? empty_digest.view()
                                       : one.size <= prefix_size ? first_of(order[run.first])
                                                                 : full_of(order[run.first]);
            Group& g = out.emplace_back(Group{memory, one.size, std::pmr::string(d, memory.get()),
                                              std::pmr::vector<File>(memory.get())});
            g.files.reserve(run.second - run.first);
            for (std::uint32_t r = run.first; r < run.second; ++r) {
                const Seen& s = seen(order[r]);
                File& f = g.files.emplace_back(File{s.id, s.size, s.mtime_sec, s.mtime_nsec, s.ctime_sec, s.ctime_nsec,
                                                    std::pmr::vector<Name>(memory.get())});
                const Classes::Cand& c = cl.files[order[r]];
                f.names.reserve(c.count);
                for (std::size_t n = c.first; n < c.first + c.count; ++n)
                    f.names.push_back(Name{std::pmr::string(cl.names[n]->path(), memory.get()), cl.names[n]->root,
                                           cl.names[n]->base, follow});
            }
        }
    };
    std::vector<Group> groups, rest;
    groups.reserve(runs.size());
    rest.reserve(runs.size() / 2 + 1);
    in_halves(runs.size(), threads,
              [&](unsigned part, std::size_t begin, std::size_t end) { build(begin, end, part ? rest : groups); });
    std::move(rest.begin(), rest.end(), std::back_inserter(groups));
    if (counters)
        counters->groups.fetch_add(groups.size(), std::memory_order_relaxed);
    return groups;
}

/// 4. --verify: splits each group by byte comparison with its members.
std::vector<Group> verify_groups(std::vector<Group> groups, const std::vector<std::string>& roots,
                                 const OnError& on_error) {
    std::vector<Group> verified;
    for (Group& g : groups) {
        std::pmr::vector<File> rest = std::move(g.files);
        while (rest.size() >= 2) {
            std::pmr::vector<File> same(rest.get_allocator()), other(rest.get_allocator());
            same.push_back(std::move(rest[0]));
            int first = open_unchanged(same[0], same[0].names[0], roots);
            if (first < 0) {
                on_error(same[0].names[0].path, errno);
                rest.erase(rest.begin());
                continue;
            }
            fs::UniqueFd first_fd(first);
            for (std::size_t i = 1; i < rest.size(); ++i) {
                int fd = open_unchanged(rest[i], rest[i].names[0], roots);
                if (fd < 0) {
                    on_error(rest[i].names[0].path, errno);
                    continue;
                }
                fs::UniqueFd guard(fd);
                int err = 0;
                if (same_bytes(first, fd, g.size, err))
                    same.push_back(std::move(rest[i]));
                else if (err)
                    on_error(rest[i].names[0].path, err);
                else
                    other.push_back(std::move(rest[i]));
            }
            if (same.size() >= 2)
                verified.push_back(Group{g.memory, g.size, g.digest, std::move(same)});
            rest = std::move(other);
        }
    }
    return verified;
}

/// Overlapping roots ("." and "sub") reach one directory entry by two paths: keeps one.
/// The directory holding each name is resolved as roots are (with -L, through the links
/// the walk followed).
void drop_repeated_names(std::vector<Group>& groups) {
    for (Group& g : groups) {
        for (File& f : g.files) {
            if (f.names.size() < 2)
                continue;
            std::vector<std::string> seen_at;
            std::pmr::vector<Name> kept(f.names.get_allocator());
            for (Name& n : f.names) {
                std::string where = cli::absolute_path(n.dir()) + '/';
                where += std::string_view(n.path).substr(n.base);
                if (std::find(seen_at.begin(), seen_at.end(), where) != seen_at.end())
                    continue;
                seen_at.push_back(std::move(where));
                kept.push_back(std::move(n));
            }
            f.names = std::move(kept);
        }
    }
}

} // namespace

namespace {

/// Walk threads on a cold cache, where each mostly waits for the disk: with 16 instead of 2
/// the walk of the standard corpus took 1.1 s instead of 1.7.
constexpr unsigned cold_walk_threads = 16;

/// What the walk needs of each regular file: for hash_small, the owner too.  Without -j,
/// threads are added up to cold_walk_threads once the walk finds the cache cold.
fs::WalkOptions walk_options(const FindOptions& opt) {
    fs::WalkOptions wopt = opt.walk;
    if (wopt.threads == 0)
        wopt.io_threads = cold_walk_threads - std::min(cold_walk_threads, fs::walk_threads(wopt));
    wopt.statx_mask = STATX_TYPE | STATX_MODE | STATX_UID | STATX_INO | STATX_SIZE | STATX_MTIME | STATX_CTIME;
    return wopt;
}

} // namespace

CandidateCount candidates(const FindOptions& opt, const OnError& on_error, FindCounters* counters) {
    std::vector<Store> seen = walk_files(opt, walk_options(opt), on_error, counters);
    const Classes classes = size_classes(seen, fs::walk_threads(opt.walk));
    return {classes.files.size(), classes.classes.size()};
}

std::vector<Group> find_duplicates(const FindOptions& opt, const OnError& on_error, FindCounters* counters) {
    const fs::WalkOptions wopt = walk_options(opt);
    std::vector<Hasher> hashers; // one per walk thread, the first of them also the reading passes'
    hashers.reserve(fs::walk_threads(wopt));
    for (unsigned t = 0; t < fs::walk_threads(wopt); ++t)
        hashers.emplace_back(opt.hash);
    SmallReads reads;
    std::vector<Group> groups;
    {
        std::vector<Store> seen = walk_files(opt, wopt, on_error, counters, &reads, &hashers);
        const unsigned threads = fs::walk_threads(opt.walk);
        groups = hash_classes(size_classes(seen, threads), opt.walk.flags & fs::walk_follow, opt, threads, hashers,
                              reads.cold(), on_error, counters);
    }
    // hash_classes made the groups in the order of their first names; drop_repeated_names
    // keeps each file's first name, but a group --verify splits may follow groups that come
    // before it.
    if (opt.verify) {
        groups = verify_groups(std::move(groups), opt.walk.roots, on_error);
        std::sort(groups.begin(), groups.end(),
                  [](const Group& a, const Group& b) { return name_less(a.files[0].names[0], b.files[0].names[0]); });
    }
    // Below one root, the walk not following links, the names of a file are distinct paths
    // through real directories: none repeats another, and resolving them all cost a
    // realpath (a readlink per component) for each name of each file with several.
    if (opt.walk.roots.size() > 1 || (opt.walk.flags & fs::walk_follow))
        drop_repeated_names(groups);
    return groups;
}

} // namespace syskit::dupfind

#include "cache.hpp"

#include "fs/fd.hpp"
#include "lock/lock.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <xxhash.h>

namespace syskit::dupfind {

namespace {

constexpr std::string_view magic = "SYSKDUPC";
constexpr std::uint32_t version = 1;
constexpr std::size_t header_size = 8 + 4 + 4 + 8 + 8;
constexpr std::size_t key_size = 8 * 3 + 8 + 4 + 8 + 4;
constexpr std::size_t used_at = key_size, kind_at = key_size + 8;
constexpr std::size_t record_fixed = key_size + 8 + 3;
constexpr int kinds = 4;

/// A little-endian number of bytes bytes at p, in a buffer whose bounds the caller checked.
std::uint64_t le(const char* p, int bytes) {
    std::uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&v, p, static_cast<std::size_t>(bytes));
    } else {
        for (int i = 0; i < bytes; ++i)
            v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    }
    return v;
}

/// Writes little-endian numbers and bytes into a buffer sized beforehand.
struct Writer {
    char* p;
    void u(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            *p++ = static_cast<char>(v >> (8 * i));
    }
    void put(std::string_view b) {
        std::memcpy(p, b.data(), b.size());
        p += b.size();
    }
};

/// The key of the record at p.
CacheKey key_at(const char* p) {
    return CacheKey{le(p, 8),
                    le(p + 8, 8),
                    le(p + 16, 8),
                    static_cast<std::int64_t>(le(p + 24, 8)),
                    static_cast<std::uint32_t>(le(p + 32, 4)),
                    static_cast<std::int64_t>(le(p + 36, 8)),
                    static_cast<std::uint32_t>(le(p + 44, 4))};
}

} // namespace

HashCache::Mapping& HashCache::Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        if (addr)
            munmap(addr, size);
        addr = std::exchange(o.addr, nullptr);
        size = std::exchange(o.size, 0);
    }
    return *this;
}

HashCache::Mapping::~Mapping() {
    if (addr)
        munmap(addr, size);
}

HashCache::Entry HashCache::entry(std::size_t i) const {
    const char* p = bytes().data() + offsets_[i];
    const auto prefix_len = static_cast<unsigned char>(p[kind_at + 1]), full_len = static_cast<unsigned char>(p[kind_at + 2]);
    return Entry{key_at(p), static_cast<std::int64_t>(le(p + used_at, 8)), static_cast<std::uint8_t>(p[kind_at]),
                 std::string_view(p + record_fixed, prefix_len), std::string_view(p + record_fixed + prefix_len, full_len)};
}

std::uint64_t HashCache::filter_hash(const CacheKey& k) {
    std::uint64_t h = k.ino * 0x9E3779B97F4A7C15ull ^ k.dev * 0xC2B2AE3D27D4EB4Full ^ k.size * 0x165667B19E3779F9ull ^
                      static_cast<std::uint64_t>(k.mtime_sec) * 0x27D4EB2F165667C5ull ^ k.mtime_nsec ^
                      static_cast<std::uint64_t>(k.ctime_sec) << 32 ^ k.ctime_nsec;
    return h ^ h >> 31;
}

std::optional<CacheView> HashCache::view(const CacheKey& key, HashKind kind, std::size_t& from) const {
    const char* base = bytes().data();
    auto before = [&](std::size_t i) { return key_at(base + offsets_[i]) < key; };
    const std::size_t n = offsets_.size();
    if (from > n || (from > 0 && !before(from - 1)))
        from = 0;
    // Galloping from there: the next key wanted is most often at from or just after it.
    std::size_t lo = from, hi = from, step = 1;
    while (hi < n && before(hi)) {
        lo = hi + 1;
        hi = from + step;
        step *= 2;
    }
    hi = std::min(hi, n);
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (before(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    from = lo;
    if (lo == n)
        return std::nullopt;
    const char* p = base + offsets_[lo];
    if (key_at(p) != key || static_cast<std::uint8_t>(p[kind_at]) != static_cast<int>(kind) + 1)
        return std::nullopt;
    const auto prefix_len = static_cast<unsigned char>(p[kind_at + 1]), full_len = static_cast<unsigned char>(p[kind_at + 2]);
    return CacheView{std::string_view(p + record_fixed, prefix_len), std::string_view(p + record_fixed + prefix_len, full_len),
                     static_cast<std::int64_t>(le(p + used_at, 8))};
}

std::optional<CacheHashes> HashCache::find(const CacheKey& key, HashKind kind) const {
    auto v = view(key, kind);
    if (!v)
        return std::nullopt;
    return CacheHashes{kind, std::string(v->prefix), std::string(v->full), v->used};
}

void HashCache::put(const CacheKey& key, const CacheHashes& h, std::int64_t now) {
    added_.push_back(Added{key, now, static_cast<std::uint8_t>(static_cast<int>(h.kind) + 1),
                           static_cast<std::uint32_t>(added_bytes_.size()), static_cast<std::uint8_t>(h.prefix.size()),
                           static_cast<std::uint8_t>(h.full.size())});
    added_bytes_ += h.prefix;
    added_bytes_ += h.full;
}

void HashCache::rebuild(const std::vector<Entry>& entries) {
    std::size_t total = header_size + 8;
    for (const Entry& e : entries)
        total += record_fixed + e.prefix.size() + e.full.size();
    std::vector<char> out(total);
    Writer w{out.data()};
    w.put(magic);
    w.u(version, 4);
    w.u(0, 4);
    w.u(entries.size(), 8);
    w.u(total - header_size - 8, 8);
    for (const Entry& e : entries) {
        w.u(e.key.dev, 8);
        w.u(e.key.ino, 8);
        w.u(e.key.size, 8);
        w.u(static_cast<std::uint64_t>(e.key.mtime_sec), 8);
        w.u(e.key.mtime_nsec, 4);
        w.u(static_cast<std::uint64_t>(e.key.ctime_sec), 8);
        w.u(e.key.ctime_nsec, 4);
        w.u(static_cast<std::uint64_t>(e.used), 8);
        w.u(e.kind, 1);
        w.u(e.prefix.size(), 1);
        w.u(e.full.size(), 1);
        w.put(e.prefix);
        w.put(e.full);
    }
    w.u(XXH3_64bits(out.data(), total - 8), 8);
    // Only now: entries point into the bytes replaced here.
    own_ = std::move(out);
    map_ = Mapping();
    added_.clear();
    added_bytes_.clear();
    std::string why;
    index(why); // cannot fail on what was just written: this finds the records again
}

void HashCache::merge() {
    if (added_.empty())
        return;
    // Later puts win over earlier ones and over what was read, a digest missing from a
    // later one being kept from before (of the same algorithm).
    std::stable_sort(added_.begin(), added_.end(), [](const Added& a, const Added& b) { return a.key < b.key; });
    auto added = [&](const Added& a) {
        const std::string_view d(added_bytes_);
        return Entry{a.key, a.used, a.kind, d.substr(a.offset, a.prefix_len), d.substr(a.offset + a.prefix_len, a.full_len)};
    };
    auto fold = [](Entry& acc, Entry next) {
        if (next.kind == acc.kind) {
            if (next.prefix.empty())
                next.prefix = acc.prefix;
            if (next.full.empty())
                next.full = acc.full;
        }
        acc = next;
    };
    std::vector<Entry> merged;
    merged.reserve(size() + added_.size());
    std::size_t i = 0, j = 0;
    while (i < size() || j < added_.size()) {
        if (j == added_.size() || (i < size() && entry(i).key < added_[j].key)) {
            merged.push_back(entry(i++));
            continue;
        }
        Entry acc = added(added_[j++]);
        if (i < size() && entry(i).key == acc.key) {
            Entry next = acc;
            acc = entry(i++);
            fold(acc, next);
        }
        while (j < added_.size() && added_[j].key == acc.key)
            fold(acc, added(added_[j++]));
        merged.push_back(acc);
    }
    rebuild(merged);
}

void HashCache::bound(std::size_t max_records) {
    merge();
    if (size() <= max_records)
        return;
    // The records used last stay; among those used at the same second, the first in key order.
    std::vector<Entry> all;
    all.reserve(size());
    for (std::size_t i = 0; i < size(); ++i)
        all.push_back(entry(i));
    std::vector<std::size_t> order(all.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return all[a].used > all[b].used; });
    order.resize(max_records);
    std::sort(order.begin(), order.end());
    std::vector<Entry> kept;
    kept.reserve(max_records);
    for (std::size_t i : order)
        kept.push_back(all[i]);
    rebuild(kept);
}

std::string HashCache::serialize() {
    merge();
    if (bytes().empty())
        rebuild({});
    return std::string(bytes());
}

bool HashCache::index(std::string& why) {
    offsets_.clear();
    filter_.clear();
    std::vector<std::uint32_t, HugeAllocator<std::uint32_t>> offsets;
    const std::string_view bytes = this->bytes();
    if (bytes.size() < header_size + 8 || bytes.substr(0, magic.size()) != magic) {
        why = "not a dupfind cache file";
        return false;
    }
    const char* base = bytes.data();
    const std::uint64_t ver = le(base + 8, 4), flags = le(base + 12, 4), count = le(base + 16, 8), body = le(base + 24, 8);
    if (ver != version || flags != 0) {
        why = fmt::format("cache format version {} (flags {}), this dupfind reads version {}", ver, flags, version);
        return false;
    }
    if (body != bytes.size() - header_size - 8) {
        why = "truncated or extended (its size does not match its header)";
        return false;
    }
    if (bytes.size() > UINT32_MAX) { // records are found by 32-bit offsets
        why = "larger than a cache file can be";
        return false;
    }
    if (le(base + bytes.size() - 8, 8) != XXH3_64bits(base, bytes.size() - 8)) {
        why = "checksum mismatch";
        return false;
    }
    if (count > body / record_fixed) {
        why = "more records than bytes";
        return false;
    }
    offsets.reserve(count);
    const char* p = base + header_size;
    const char* end = base + bytes.size() - 8;
    CacheKey last;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (static_cast<std::size_t>(end - p) < record_fixed) {
            why = fmt::format("record {} is cut short", i);
            return false;
        }
        const CacheKey key = key_at(p);
        const auto kind = static_cast<unsigned char>(p[kind_at]), prefix_len = static_cast<unsigned char>(p[kind_at + 1]),
                   full_len = static_cast<unsigned char>(p[kind_at + 2]);
        const std::size_t want = kind >= 1 && kind <= kinds ? digest_size(static_cast<HashKind>(kind - 1)) : 0;
        if (!want || (prefix_len && prefix_len != want) || (full_len && full_len != want) ||
            key.mtime_nsec >= 1'000'000'000 || key.ctime_nsec >= 1'000'000'000) {
            why = fmt::format("record {} is malformed", i);
            return false;
        }
        if (i > 0 && !(last < key)) {
            why = fmt::format("record {} is out of order", i);
            return false;
        }
        last = key;
        const std::size_t n = record_fixed + prefix_len + full_len;
        if (static_cast<std::size_t>(end - p) < n) {
            why = fmt::format("record {} is cut short", i);
            return false;
        }
        offsets.push_back(static_cast<std::uint32_t>(p - base));
        p += n;
    }
    if (p != end) {
        why = "bytes after the last record";
        return false;
    }
    offsets_ = std::move(offsets);
    std::size_t words = 1;
    while (words * 64 < offsets_.size() * 16)
        words *= 2;
    filter_.assign(words, 0);
    for (const std::uint32_t offset : offsets_) {
        const std::uint64_t h = filter_hash(key_at(base + offset));
        filter_[(h >> 6) & (words - 1)] |= std::uint64_t{1} << (h & 63);
    }
    return true;
}

std::optional<HashCache> HashCache::parse(std::string_view bytes, std::string& why) {
    HashCache c;
    c.own_.assign(bytes.begin(), bytes.end());
    if (!c.index(why))
        return std::nullopt;
    return c;
}

std::string cache_path() {
    std::string base;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && x[0] == '/') {
        base = x;
    } else {
        const char* home = std::getenv("HOME");
        if (!home || home[0] != '/') {
            const struct passwd* pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : nullptr;
        }
        if (!home || home[0] != '/')
            return {};
        base = std::string(home) + "/.cache";
    }
    return base + "/syskit/dupfind.cache";
}

HashCache load_cache(const std::string& path, const std::function<void(std::string_view)>& warn) {
    auto cannot = [&](int err) {
        if (err != ENOENT)
            warn(fmt::format("cannot read the cache ({}); going on without it", std::strerror(err)));
        return HashCache();
    };
    fs::UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (!fd || fstat(fd.get(), &st) != 0)
        return cannot(errno);
    if (!S_ISREG(st.st_mode))
        return cannot(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    // Mapped, and left so: the records are read where they lie.  Copying them out (records,
    // digests) took more fresh memory than the rest of a cached run's lookups and grouping,
    // and fresh memory is what such a run spends most on after the walk's system calls.
    HashCache c;
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > 0) {
        void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
        if (map == MAP_FAILED)
            return cannot(errno);
        c.map_ = HashCache::Mapping(map, size);
    }
    std::string why;
    if (c.index(why))
        return c;
    warn(fmt::format("ignoring the cache: {}; it will be rewritten", why));
    return {};
}

namespace {

/// Makes each missing directory of path's parent, mode 0700.
bool make_parents(const std::string& path, std::string& error) {
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        std::string dir = path.substr(0, slash);
        if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            error = fmt::format("mkdir({}): {}", dir, std::strerror(errno));
            return false;
        }
    }
    return true;
}

/// Opens and locks path + ".lock", waiting for another run to finish with the cache.
fs::UniqueFd lock_cache(const std::string& path, std::string& error) {
    const std::string lock_path = path + ".lock";
    fs::UniqueFd fd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
        error = fmt::format("open({}): {}", lock_path, std::strerror(errno));
        return {};
    }
    if (int err = lock::lock(fd.get(), lock::Request{lock::Owner::ofd, lock::Mode::exclusive, {}})) {
        error = fmt::format("{}({}): {}", lock::command_name(lock::Owner::ofd, true), lock_path, std::strerror(err));
        return {};
    }
    return fd;
}

} // namespace

bool save_cache(const std::string& path, const std::vector<std::pair<CacheKey, CacheHashes>>& learned, std::int64_t now,
                std::string& error) {
    if (!make_parents(path, error))
        return false;
    fs::UniqueFd lock = lock_cache(path, error);
    if (!lock)
        return false;
    // Read again under the lock: another run may have written since this one started.  A
    // damaged file was reported when the run began, and is replaced now.
    HashCache cache = load_cache(path, [](std::string_view) {});
    for (const auto& [key, hashes] : learned)
        cache.put(key, hashes, now);
    cache.bound(cache_max_records);
    const std::string bytes = cache.serialize();

    std::string tmp = path + ".XXXXXX";
    fs::UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) {
        error = fmt::format("mkostemp({}): {}", tmp, std::strerror(errno));
        return false;
    }
    auto fail = [&](const char* call) {
        error = fmt::format("{}({}): {}", call, tmp, std::strerror(errno));
        unlink(tmp.c_str());
        return false;
    };
    // No fsync, of the file or its directory: what a crash can leave (an empty file, or
    // blocks never written) fails the size or checksum check and is ignored, and the cache
    // only saves reading.  Flushing the corpus's 6 MiB cost a run 40 to 80 ms.
    if (!fs::write_all(fd.get(), bytes.data(), bytes.size()))
        return fail("write");
    if (rename(tmp.c_str(), path.c_str()) != 0)
        return fail("rename");
    return true;
}

bool clear_cache(const std::string& path, std::string& error) {
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return true;
    fs::UniqueFd lock = lock_cache(path, error);
    if (!lock)
        return false;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = fmt::format("unlink({}): {}", path, std::strerror(errno));
        return false;
    }
    return true;
}

} // namespace syskit::dupfind

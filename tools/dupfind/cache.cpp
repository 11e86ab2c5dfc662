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
constexpr std::size_t record_fixed = key_size + 8 + 3;
constexpr int kinds = 4;

void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>(v >> (8 * i));
}

/// Reads little-endian numbers from a buffer whose bounds the caller checked.
struct Reader {
    const unsigned char* p;
    std::uint64_t u(int bytes) {
        std::uint64_t v = 0;
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(&v, p, static_cast<std::size_t>(bytes));
        } else {
            for (int i = 0; i < bytes; ++i)
                v |= std::uint64_t{p[i]} << (8 * i);
        }
        p += bytes;
        return v;
    }
};

} // namespace

namespace {

std::uint64_t key_hash(const CacheKey& k) {
    std::uint64_t h = k.ino * 0x9E3779B97F4A7C15ull ^ k.dev;
    h ^= (k.size + static_cast<std::uint64_t>(k.mtime_nsec)) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

} // namespace

void HashCache::reindex() {
    std::size_t n = 16;
    while (n < records_.size() * 2)
        n *= 2;
    slots_.assign(n, 0);
    for (std::size_t i = 0; i < records_.size(); ++i) {
        std::size_t s = key_hash(records_[i].key) & (n - 1);
        while (slots_[s])
            s = (s + 1) & (n - 1);
        slots_[s] = static_cast<std::uint32_t>(i + 1);
    }
}

const HashCache::Record* HashCache::lookup(const CacheKey& key) const {
    if (slots_.empty())
        return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = key_hash(key) & mask; slots_[s]; s = (s + 1) & mask)
        if (records_[slots_[s] - 1].key == key)
            return &records_[slots_[s] - 1];
    return nullptr;
}

std::optional<CacheView> HashCache::view(const CacheKey& key, HashKind kind) const {
    const Record* r = lookup(key);
    if (!r || r->kind != static_cast<std::uint8_t>(kind) + 1)
        return std::nullopt;
    std::string_view d(digests_);
    return CacheView{d.substr(r->offset, r->prefix_len), d.substr(r->offset + r->prefix_len, r->full_len), r->used};
}

std::optional<CacheHashes> HashCache::find(const CacheKey& key, HashKind kind) const {
    auto v = view(key, kind);
    if (!v)
        return std::nullopt;
    return CacheHashes{kind, std::string(v->prefix), std::string(v->full), v->used};
}

void HashCache::put(const CacheKey& key, const CacheHashes& h, std::int64_t now) {
    Record r{key, now, static_cast<std::uint32_t>(digests_.size()), static_cast<std::uint8_t>(static_cast<int>(h.kind) + 1),
             static_cast<std::uint8_t>(h.prefix.size()), static_cast<std::uint8_t>(h.full.size())};
    digests_ += h.prefix;
    digests_ += h.full;
    added_.push_back(r);
}

void HashCache::fold(Record& acc, const Record& next) {
    if (next.kind != acc.kind || (next.prefix_len && next.full_len)) {
        acc = next;
        return;
    }
    // The same algorithm, and next lacks a digest acc has: keep that one.
    const std::string_view all(digests_);
    std::string p(all.substr(next.prefix_len ? next.offset : acc.offset, next.prefix_len ? next.prefix_len : acc.prefix_len));
    std::string f(next.full_len ? all.substr(next.offset + next.prefix_len, next.full_len)
                                : all.substr(acc.offset + acc.prefix_len, acc.full_len));
    acc = next;
    acc.offset = static_cast<std::uint32_t>(digests_.size());
    acc.prefix_len = static_cast<std::uint8_t>(p.size());
    acc.full_len = static_cast<std::uint8_t>(f.size());
    digests_ += p;
    digests_ += f;
}

void HashCache::compact() {
    Bytes kept;
    kept.reserve(records_.size() * 32);
    for (Record& r : records_) {
        std::string_view d(digests_.data() + r.offset, std::size_t{r.prefix_len} + r.full_len);
        r.offset = static_cast<std::uint32_t>(kept.size());
        kept += d;
    }
    digests_ = std::move(kept);
}

void HashCache::merge() {
    if (added_.empty())
        return;
    // Later puts win over earlier ones and over what was read, a digest missing from a
    // later one being kept from before (fold).
    std::stable_sort(added_.begin(), added_.end(), [](const Record& a, const Record& b) { return a.key < b.key; });
    Records merged;
    merged.reserve(records_.size() + added_.size());
    std::size_t i = 0, j = 0;
    while (i < records_.size() || j < added_.size()) {
        if (j == added_.size() || (i < records_.size() && records_[i].key < added_[j].key)) {
            merged.push_back(records_[i++]);
            continue;
        }
        Record acc = added_[j++];
        if (i < records_.size() && records_[i].key == acc.key) {
            Record next = acc;
            acc = records_[i++];
            fold(acc, next);
        }
        while (j < added_.size() && added_[j].key == acc.key)
            fold(acc, added_[j++]);
        merged.push_back(acc);
    }
    records_ = std::move(merged);
    added_.clear();
    compact(); // digests of replaced records are left behind in the buffer
    reindex();
}

void HashCache::bound(std::size_t max_records) {
    merge();
    if (records_.size() <= max_records)
        return;
    // The records used last stay; among those used at the same second, the first in key order.
    std::vector<std::size_t> order(records_.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return records_[a].used > records_[b].used; });
    order.resize(max_records);
    std::sort(order.begin(), order.end());
    Records kept;
    kept.reserve(max_records);
    for (std::size_t i : order)
        kept.push_back(records_[i]);
    records_ = std::move(kept);
    compact();
    reindex();
}

std::string HashCache::serialize() {
    merge();
    std::string out;
    out.reserve(header_size + records_.size() * (record_fixed + 32) + 8);
    out += magic;
    put_le(out, version, 4);
    put_le(out, 0, 4);
    put_le(out, records_.size(), 8);
    put_le(out, 0, 8); // the body's size, filled in below
    for (const Record& r : records_) {
        put_le(out, r.key.dev, 8);
        put_le(out, r.key.ino, 8);
        put_le(out, r.key.size, 8);
        put_le(out, static_cast<std::uint64_t>(r.key.mtime_sec), 8);
        put_le(out, r.key.mtime_nsec, 4);
        put_le(out, static_cast<std::uint64_t>(r.key.ctime_sec), 8);
        put_le(out, r.key.ctime_nsec, 4);
        put_le(out, static_cast<std::uint64_t>(r.used), 8);
        out += static_cast<char>(r.kind);
        out += static_cast<char>(r.prefix_len);
        out += static_cast<char>(r.full_len);
        out.append(digests_.data() + r.offset, std::size_t{r.prefix_len} + r.full_len);
    }
    std::string body_size;
    put_le(body_size, out.size() - header_size, 8);
    out.replace(header_size - 8, 8, body_size);
    put_le(out, XXH3_64bits(out.data(), out.size()), 8);
    return out;
}

std::optional<HashCache> HashCache::parse(std::string_view bytes, std::string& why) {
    if (bytes.size() < header_size + 8 || bytes.substr(0, magic.size()) != magic) {
        why = "not a dupfind cache file";
        return std::nullopt;
    }
    auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
    Reader h{base + magic.size()};
    const std::uint64_t ver = h.u(4), flags = h.u(4), count = h.u(8), body = h.u(8);
    if (ver != version || flags != 0) {
        why = fmt::format("cache format version {} (flags {}), this dupfind reads version {}", ver, flags, version);
        return std::nullopt;
    }
    if (body != bytes.size() - header_size - 8) {
        why = "truncated or extended (its size does not match its header)";
        return std::nullopt;
    }
    Reader t{base + bytes.size() - 8};
    if (t.u(8) != XXH3_64bits(bytes.data(), bytes.size() - 8)) {
        why = "checksum mismatch";
        return std::nullopt;
    }
    HashCache c;
    if (count > body / record_fixed) {
        why = "more records than bytes";
        return std::nullopt;
    }
    c.records_.reserve(count);
    c.digests_.reserve(body); // no copies as it grows: the digests are a part of the body
    const unsigned char* p = base + header_size;
    const unsigned char* end = base + bytes.size() - 8;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (static_cast<std::size_t>(end - p) < record_fixed) {
            why = fmt::format("record {} is cut short", i);
            return std::nullopt;
        }
        Reader r{p};
        Record rec;
        rec.key.dev = r.u(8);
        rec.key.ino = r.u(8);
        rec.key.size = r.u(8);
        rec.key.mtime_sec = static_cast<std::int64_t>(r.u(8));
        rec.key.mtime_nsec = static_cast<std::uint32_t>(r.u(4));
        rec.key.ctime_sec = static_cast<std::int64_t>(r.u(8));
        rec.key.ctime_nsec = static_cast<std::uint32_t>(r.u(4));
        rec.used = static_cast<std::int64_t>(r.u(8));
        rec.kind = static_cast<std::uint8_t>(r.u(1));
        rec.prefix_len = static_cast<std::uint8_t>(r.u(1));
        rec.full_len = static_cast<std::uint8_t>(r.u(1));
        p = r.p;
        const std::size_t want = rec.kind >= 1 && rec.kind <= kinds ? digest_size(static_cast<HashKind>(rec.kind - 1)) : 0;
        if (!want || (rec.prefix_len && rec.prefix_len != want) || (rec.full_len && rec.full_len != want) ||
            rec.key.mtime_nsec >= 1'000'000'000 || rec.key.ctime_nsec >= 1'000'000'000) {
            why = fmt::format("record {} is malformed", i);
            return std::nullopt;
        }
        if (!c.records_.empty() && !(c.records_.back().key < rec.key)) {
            why = fmt::format("record {} is out of order", i);
            return std::nullopt;
        }
        const std::size_t n = std::size_t{rec.prefix_len} + rec.full_len;
        if (static_cast<std::size_t>(end - p) < n) {
            why = fmt::format("record {} is cut short", i);
            return std::nullopt;
        }
        rec.offset = static_cast<std::uint32_t>(c.digests_.size());
        c.digests_.append(reinterpret_cast<const char*>(p), n);
        p += n;
        c.records_.push_back(rec);
    }
    if (p != end) {
        why = "bytes after the last record";
        return std::nullopt;
    }
    c.reindex();
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
    // Mapped rather than read: parse() copies what it keeps, and a read into a growing
    // string copied the file twice more (a tenth of a cached run's CPU time).
    std::string_view bytes;
    void* map = nullptr;
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > 0) {
        map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (map == MAP_FAILED)
            return cannot(errno);
        bytes = std::string_view(static_cast<const char*>(map), size);
    }
    std::string why;
    std::optional<HashCache> c = HashCache::parse(bytes, why);
    if (map)
        munmap(map, size);
    if (c)
        return std::move(*c);
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
    if (!fs::write_all(fd.get(), bytes.data(), bytes.size()))
        return fail("write");
    if (fsync(fd.get()) != 0)
        return fail("fsync");
    if (rename(tmp.c_str(), path.c_str()) != 0)
        return fail("rename");
    std::string dir = path.substr(0, path.rfind('/'));
    if (fs::UniqueFd d{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)})
        fsync(d.get()); // the rename itself is durable once its directory is
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

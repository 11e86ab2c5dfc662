// cache: dupfind's hashes kept between runs, in one file keyed by what identifies a file's
// content without reading it: device, inode, size, mtime and ctime, to the nanosecond.
//
// The file (little-endian; "foreign" means anything else, and is ignored):
//   header  "SYSKDUPC", version (u32 = 1), flags (u32 = 0), records (u64), body bytes (u64)
//   record  dev, ino, size (u64 each), mtime s (i64), ns (u32), ctime s (i64), ns (u32),
//           last used (i64, Unix seconds), algorithm (u8: hash.hpp's HashKind + 1),
//           prefix length (u8), full length (u8), the prefix digest, the full digest
//   trailer XXH3-64 of everything before it (u64)
// A length is 0 (not known) or the algorithm's digest size.  Records are sorted by key,
// each key at most once.
#pragma once

#include "hash.hpp"
#include "huge.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::dupfind {

/// What a hash is kept under.  ctime cannot be set by a user, so a file rewritten in place
/// with its mtime put back still gets a new key.
struct CacheKey {
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_sec = 0;
    std::uint32_t mtime_nsec = 0;
    std::int64_t ctime_sec = 0;
    std::uint32_t ctime_nsec = 0;
    auto operator<=>(const CacheKey&) const = default;
};

/// One file's hashes: raw digests, empty when not known.
struct CacheHashes {
    HashKind kind = HashKind::xxh3;
    std::string prefix; ///< of the first prefix_size bytes (finder.hpp); files no longer have none
    std::string full;   ///< of the whole file
    std::int64_t used = 0; ///< when it was last put (Unix seconds), as find() tells
};

/// One file's hashes as the cache holds them: valid while the cache is not changed.
struct CacheView {
    std::string_view prefix, full; ///< raw digests, empty when not known
    std::int64_t used = 0;
};

/// The cache in memory: the bytes of its file, as load_cache mapped them (or as parse() or
/// a merge made them), with the offset of each record and a filter of the keys held;
/// nothing is copied out of the file.  Lookups may run from any number of threads at once;
/// nothing else may run beside them.
class HashCache {
public:
    HashCache() = default;
    HashCache(HashCache&&) noexcept = default;
    HashCache& operator=(HashCache&&) noexcept = default;

    /// Parses the bytes of a cache file (a copy of them is kept).  Returns nullopt, and why
    /// in why, when they are not one (short, another magic or version, a bad checksum, a
    /// record out of bounds or with impossible lengths, keys out of order).
    static std::optional<HashCache> parse(std::string_view bytes, std::string& why);

    /// The bytes of the file holding this cache, with what put() added.
    std::string serialize();

    /// The hashes kept for key with the algorithm kind: nullopt when there are none.  A
    /// prefix or full digest may still be empty.  What put() added is not seen before
    /// serialize() or bound().
    std::optional<CacheHashes> find(const CacheKey& key, HashKind kind) const;
    /// The same without copying the digests.
    std::optional<CacheView> view(const CacheKey& key, HashKind kind) const {
        std::size_t from = 0;
        return view(key, kind, from);
    }
    /// The same, searching from the record at from on and leaving there the place of the
    /// first record not before key: what the finder does for every file, in key order, so
    /// that the records are read one after another as they lie in the file.  A key before
    /// the one from was left at is searched from the start again.
    std::optional<CacheView> view(const CacheKey& key, HashKind kind, std::size_t& from) const;

    /// False when the cache holds no record for key; true when it may (one time in ten or
    /// so it does not).  One read of a small table: what the walk asks of every small file
    /// it could read while its directory is open, where a lookup cost it a cache and a TLB
    /// miss or two after each system call.
    bool may_hold(const CacheKey& key) const {
        const std::uint64_t h = filter_hash(key);
        return !filter_.empty() && (filter_[(h >> 6) & (filter_.size() - 1)] >> (h & 63) & 1);
    }

    /// Adds (or completes) key's hashes, used at time now (Unix seconds).  A record for
    /// another algorithm is replaced; of one for the same algorithm, a digest hashes lacks
    /// is kept.
    void put(const CacheKey& key, const CacheHashes& hashes, std::int64_t now);

    /// Keeps at most max_records, the ones used last.
    void bound(std::size_t max_records);

    std::size_t size() const { return offsets_.size(); }

private:
    friend HashCache load_cache(const std::string&, const std::function<void(std::string_view)>&);

    /// A file mapped read-only, unmapped with its owner.
    struct Mapping {
        void* addr = nullptr;
        std::size_t size = 0;
        Mapping() = default;
        Mapping(void* a, std::size_t n) : addr(a), size(n) {}
        Mapping(Mapping&& o) noexcept : addr(std::exchange(o.addr, nullptr)), size(std::exchange(o.size, 0)) {}
        Mapping& operator=(Mapping&& o) noexcept;
        ~Mapping();
    };
    /// One record, its digests where they are: the file's bytes or added_.
    struct Entry {
        CacheKey key;
        std::int64_t used = 0;
        std::uint8_t kind = 0; ///< HashKind + 1
        std::string_view prefix, full;
    };
    /// What put() added, its digests in one buffer.
    struct Added {
        CacheKey key;
        std::int64_t used = 0;
        std::uint8_t kind = 0;
        std::uint32_t offset = 0; ///< of the prefix digest in added_bytes_; the full one follows
        std::uint8_t prefix_len = 0, full_len = 0;
    };

    Mapping map_;           ///< the file's bytes, when they are a mapped file's
    std::vector<char> own_; ///< or when they are held
    /// Where each record starts in bytes(), in key order, in huge pages (huge.hpp): in 4 KiB
    /// pages, their faults were most of what loading cost.  The finder's lookups come in key
    /// order and step through it; a hash table of the records cost more to fill at each
    /// load than the lookups it served, and they each took a cache miss or two.
    std::vector<std::uint32_t, HugeAllocator<std::uint32_t>> offsets_;
    /// One bit per hash of the keys held (filter_hash), 16 bits or more per record.
    std::vector<std::uint64_t, HugeAllocator<std::uint64_t>> filter_;
    std::vector<Added> added_;
    std::string added_bytes_;

    std::string_view bytes() const {
        return map_.addr ? std::string_view(static_cast<const char*>(map_.addr), map_.size)
                         : std::string_view(own_.data(), own_.size());
    }
    /// Checks bytes() is a cache file and fills offsets_ and filter_; false with why otherwise.
    bool index(std::string& why);
    Entry entry(std::size_t i) const;
    static std::uint64_t filter_hash(const CacheKey& key);
    /// Makes entries, sorted by key, the cache's records.
    void rebuild(const std::vector<Entry>& entries);
    /// Sorts added_ into the records.
    void merge();
};

/// The cache file: $XDG_CACHE_HOME/syskit/dupfind.cache, or ~/.cache/syskit/dupfind.cache
/// (HOME, else the password database).  Empty when there is no home to find.
std::string cache_path();

/// How many records the cache keeps: about 90 bytes each on disk for XXH3-128.
inline constexpr std::size_t cache_max_records = 1'000'000;

/// Reads the cache at path, mapping it: its records are read where they lie when looked up.
/// dupfind replaces the file by rename and never writes it in place, so the mapping stays
/// whole.  A missing file is an empty cache; one that cannot be read or parsed is an empty
/// cache too, and warn is told why (the run goes on without it).
HashCache load_cache(const std::string& path, const std::function<void(std::string_view)>& warn);

/// Adds learned to the cache at path and writes it back, holding a lock (an OFD lock on
/// path + ".lock") so that concurrent runs add to each other's work: the file is read again
/// under the lock, the new records merged in, the result bounded to cache_max_records and
/// written to a temporary file in the same directory and renamed over path, not flushed (a
/// file a crash damaged fails its checksum and is ignored; a
/// damaged file is replaced without a word: load_cache said so when the run began).  The
/// directory is made (mode 0700) when missing.  Returns false, with the failing call and
/// subject in error, when it cannot.
bool save_cache(const std::string& path, const std::vector<std::pair<CacheKey, CacheHashes>>& learned,
                std::int64_t now, std::string& error);

/// Removes the cache at path, under its lock.  A missing cache is not an error.
bool clear_cache(const std::string& path, std::string& error);

} // namespace syskit::dupfind

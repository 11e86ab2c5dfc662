// entry: one key and its value in a single allocation, with the links the hash table and the
// eviction policies thread through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#ifdef CACHENODE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace syskit::cachenode {

/// The per-key state of entries that have a TTL.  Only those carry it, so that the common
/// entry without one stays at 32 bytes of header.
struct TtlExt {
    std::int64_t expire_at; ///< monotonic milliseconds
    std::uint32_t index;    ///< position in its shard's list of entries with a TTL (for sampling)
    std::uint32_t unused;
};

/// Flag bits of Entry::flags.
enum EntryFlag : std::uint8_t {
    entry_ttl = 1,     ///< a TtlExt follows the header
    entry_main = 2,    ///< S3-FIFO: in the main queue (else the small one)
    entry_visited = 4, ///< SIEVE: hit since the hand last passed
    entry_freq_shift = 4,
    entry_freq_mask = 0x30, ///< S3-FIFO: 2-bit access count
    entry_hash = 0x40,      ///< the value is a HashRef, not the bytes of a string
};

class Hash;

/// The value of an entry with entry_hash: the hash it owns, and the bytes that hash held when
/// the shard last counted it (what charge() adds, so that the shard's sums stay exact while the
/// hash changes in place until the shard counts it again).
struct HashRef {
    Hash* hash;
    std::size_t charged;
};

/// Header of an entry; TtlExt (when entry_ttl), the access time (atime_bytes), the key and
/// the value follow it.  Allocated with operator new of the exact size; Store owns every entry.
struct Entry {
    Entry* hnext; ///< next entry in the same hash bucket
    Entry* prev;  ///< eviction list: towards the newer end
    Entry* next;  ///< eviction list: towards the older end
    std::uint32_t vlen;
    std::uint32_t klen : 24;
    std::uint32_t flags : 8;

    static constexpr std::size_t max_key = (1u << 24) - 1;
    /// The access time's bytes: 24 bits of the LRU clock (eviction.hpp), as Redis keeps in each
    /// object.  The header above has no padding to hold them, and a field there would take 8
    /// bytes with alignment; after it they take 3, which the heap's rounding to its size
    /// classes (charge()) mostly absorbs.
    static constexpr std::size_t atime_bytes = 3;

    bool has_ttl() const { return flags & entry_ttl; }
    bool is_hash() const { return flags & entry_hash; }
    HashRef hash_ref() const {
        HashRef r;
        std::memcpy(&r, key_data() + klen, sizeof r);
        return r;
    }
    void set_hash_ref(const HashRef& r) { std::memcpy(value_data(), &r, sizeof r); }
    TtlExt* ttl() { return reinterpret_cast<TtlExt*>(this + 1); }
    const TtlExt* ttl() const { return reinterpret_cast<const TtlExt*>(this + 1); }
    char* key_data() { return atime_data() + atime_bytes; }
    const char* key_data() const { return atime_data() + atime_bytes; }
    char* value_data() { return key_data() + klen; }
    std::string_view key() const { return {key_data(), klen}; }
    std::string_view value() const { return {key_data() + klen, vlen}; }

    /// The LRU clock (eviction.hpp) when the key was last read or written.
    std::uint32_t atime() const {
        const auto* p = reinterpret_cast<const unsigned char*>(atime_data());
        return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16);
    }
    void set_atime(std::uint32_t clock) {
        auto* p = reinterpret_cast<unsigned char*>(atime_data());
        p[0] = static_cast<unsigned char>(clock);
        p[1] = static_cast<unsigned char>(clock >> 8);
        p[2] = static_cast<unsigned char>(clock >> 16);
    }

    unsigned freq() const { return (flags & entry_freq_mask) >> entry_freq_shift; }
    void set_freq(unsigned f) {
        flags = static_cast<std::uint8_t>((flags & ~entry_freq_mask) | ((f << entry_freq_shift) & entry_freq_mask));
    }

    /// Bytes allocated for an entry of this shape.
    static std::size_t alloc_size(std::size_t klen, std::size_t vlen, bool ttl) {
        return sizeof(Entry) + (ttl ? sizeof(TtlExt) : 0) + atime_bytes + klen + vlen;
    }
    /// What an allocation of n bytes costs in the heap; the memory limit counts this, not n.
    /// jemalloc (the release build's allocator) rounds n up to its size class, which nallocx(3)
    /// tells; glibc's malloc (under the sanitizers) adds an 8-byte size word and rounds chunks
    /// to 16 bytes, 32 at least.
    static std::size_t charge(std::size_t n) {
#ifdef CACHENODE_JEMALLOC
        return nallocx(n, 0);
#else
        std::size_t c = (n + 8 + 15) & ~std::size_t{15};
        return c < 32 ? 32 : c;
#endif
    }
    std::size_t charge() const {
        return charge(alloc_size(klen, vlen, has_ttl())) + (is_hash() ? hash_ref().charged : 0);
    }

private:
    char* atime_data() { return reinterpret_cast<char*>(this + 1) + (has_ttl() ? sizeof(TtlExt) : 0); }
    const char* atime_data() const {
        return reinterpret_cast<const char*>(this + 1) + (has_ttl() ? sizeof(TtlExt) : 0);
    }
};
static_assert(sizeof(Entry) == 32);

} // namespace syskit::cachenode

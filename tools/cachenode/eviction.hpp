// eviction: the policies that choose which entry leaves a full shard: SIEVE (the default),
// S3-FIFO and LRU.
//
// A policy keeps its own order of the shard's entries through Entry::prev/next and the flag
// bits; the shard calls it under its lock on every insertion, hit, replacement and removal, and
// asks it for a victim while the shard is over its memory limit.
#pragma once

#include "entry.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace syskit::cachenode {

enum class Policy { s3fifo, sieve, lru, noeviction };

/// The LRU clock, as Redis keeps it: seconds of the store's clock (ms) in 24 bits, wrapping
/// every 194 days.  Each entry holds its value at the last read or write (Entry::atime).
inline constexpr std::uint32_t lru_clock_max = (1u << 24) - 1;
inline std::uint32_t lru_clock(std::int64_t ms) { return static_cast<std::uint32_t>(ms / 1000) & lru_clock_max; }
/// Seconds from the LRU clock `stamp` to `now` (OBJECT IDLETIME): idle times of more than one
/// wrap of the clock read short, as in Redis.
inline std::uint32_t lru_idle(std::uint32_t stamp, std::uint32_t now) { return (now - stamp) & lru_clock_max; }
/// The stamp of a key last used `idle` seconds before `now` (RESTORE IDLETIME), idle times
/// past one wrap taken as one wrap.
inline std::uint32_t lru_stamp_idle(std::uint32_t now, std::uint64_t idle) {
    return (now - static_cast<std::uint32_t>(std::min<std::uint64_t>(idle, lru_clock_max))) & lru_clock_max;
}

/// "s3fifo", "sieve", "lru", "noeviction"; nullopt for anything else.
std::optional<Policy> parse_policy(std::string_view name);
const char* policy_name(Policy p);

/// A doubly linked list of entries through prev/next: head the newest, tail the oldest.
struct EntryList {
    Entry* head = nullptr;
    Entry* tail = nullptr;
    std::size_t bytes = 0; ///< sum of the entries' charge()
    std::size_t count = 0;

    void push_front(Entry* e);
    void remove(Entry* e);
    /// Puts fresh where old is; their sizes may differ.
    void replace(Entry* old, Entry* fresh);
    /// e, in the list, changed in size from old_charge to its charge() now.
    void resized(const Entry* e, std::size_t old_charge) { bytes = bytes + e->charge() - old_charge; }
};

/// The ordering of one shard's entries for eviction.
class EvictionPolicy {
public:
    virtual ~EvictionPolicy() = default;
    /// A new entry; hash is its key's hash (S3-FIFO remembers evicted keys by it).
    virtual void inserted(Entry* e, std::uint64_t hash) = 0;
    /// A hit on e.
    virtual void accessed(Entry* e) = 0;
    /// fresh takes old's place (a new value or TTL for the same key); the shard has copied the
    /// policy's flag bits from old to fresh.
    virtual void replaced(Entry* old, Entry* fresh) = 0;
    /// e leaves the shard (deleted, expired, evicted).
    virtual void removed(Entry* e) = 0;
    /// e changed in size in place (a hash gained or lost fields); it was old_charge.
    virtual void resized(Entry* e, std::size_t old_charge) = 0;
    /// The entry to evict, still in the shard; nullptr when there is none.  The shard then
    /// removes it, calling removed().  hash_of gives a key's hash.
    virtual Entry* victim(std::uint64_t (*hash_of)(std::string_view)) = 0;
    /// Bytes the policy holds besides the entries (S3-FIFO's ghost table).
    virtual std::size_t overhead() const { return 0; }
    /// The shard's memory limit changed (CONFIG SET maxmemory).
    virtual void set_limit(std::size_t) {}
};

/// The policy for one shard whose memory limit is limit bytes; noeviction gets LRU's ordering,
/// which the shard never asks for a victim.
std::unique_ptr<EvictionPolicy> make_policy(Policy p, std::size_t limit);

/// The book's policy: a hit moves the entry to the front, the victim is the back.
class LruPolicy final : public EvictionPolicy {
public:
    void inserted(Entry* e, std::uint64_t) override { list_.push_front(e); }
    void accessed(Entry* e) override;
    void replaced(Entry* old, Entry* fresh) override { list_.replace(old, fresh); }
    void removed(Entry* e) override { list_.remove(e); }
    void resized(Entry* e, std::size_t old_charge) override { list_.resized(e, old_charge); }
    Entry* victim(std::uint64_t (*)(std::string_view)) override { return list_.tail; }

private:
    EntryList list_;
};

/// SIEVE (Zhang et al., NSDI 2024): a FIFO queue where a hit only sets a bit; a hand moves from
/// the oldest entry towards the newest, clearing bits, and evicts the first entry without one.
class SievePolicy final : public EvictionPolicy {
public:
    void inserted(Entry* e, std::uint64_t) override;
    void accessed(Entry* e) override { e->flags |= entry_visited; }
    void replaced(Entry* old, Entry* fresh) override;
    void removed(Entry* e) override;
    void resized(Entry* e, std::size_t old_charge) override { list_.resized(e, old_charge); }
    Entry* victim(std::uint64_t (*)(std::string_view)) override;

private:
    EntryList list_;
    Entry* hand_ = nullptr;
};

/// Fingerprints of recently evicted keys, bounded in memory: an open-addressing table of
/// (32-bit fingerprint, insertion number) where an item counts as present while fewer than
/// capacity() insertions have happened since it went in.
class Ghost {
public:
    bool contains_and_remove(std::uint64_t hash);
    void insert(std::uint64_t hash);
    /// How many recent insertions count as present; the table grows to twice this.
    void set_capacity(std::size_t n);
    std::size_t capacity() const { return capacity_; }
    std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }

private:
    static constexpr unsigned probe = 8;
    std::vector<std::uint64_t> slots_;
    std::size_t capacity_ = 0;
    std::uint32_t clock_ = 0;
};

/// S3-FIFO (Yang et al., SOSP 2023): new keys enter a small FIFO queue holding 10% of the
/// bytes; those hit again while there move to the main FIFO queue, the others leave and are
/// remembered in a ghost queue, which sends them straight to main if they come back.  Main
/// re-inserts an entry hit since it was last looked at (a 2-bit count, decremented) instead of
/// evicting it.  One-hit wonders, most of a Zipf trace's tail, never reach main.
class S3FifoPolicy final : public EvictionPolicy {
public:
    explicit S3FifoPolicy(std::size_t limit) : limit_(limit) {}
    void inserted(Entry* e, std::uint64_t hash) override;
    void accessed(Entry* e) override;
    void replaced(Entry* old, Entry* fresh) override;
    void removed(Entry* e) override;
    void resized(Entry* e, std::size_t old_charge) override { queue_of(e).resized(e, old_charge); }
    Entry* victim(std::uint64_t (*hash_of)(std::string_view)) override;
    std::size_t overhead() const override { return ghost_.bytes(); }
    void set_limit(std::size_t limit) override { limit_ = limit; }

private:
    EntryList& queue_of(const Entry* e) { return (e->flags & entry_main) ? main_ : small_; }

    std::size_t limit_;
    EntryList small_, main_;
    Ghost ghost_;
};

} // namespace syskit::cachenode

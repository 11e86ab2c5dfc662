// store: the key space: binary-safe keys whose values are strings or hashes (hash.hpp), with
// TTLs, split into shards that each have their own lock, hash table, eviction policy and share
// of the memory limit.  A hash is one key to eviction and to the memory limit.
//
// Every operation locks one shard (MSET: the shards it touches, in order), so threads serving
// different keys rarely wait for each other and no lock covers the whole key space.  Expiry is
// lazy (an expired entry found by an operation is removed then) plus active sampling by
// expire.hpp through expire_sample().
#pragma once

#include "entry.hpp"
#include "eviction.hpp"
#include "hash.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::cachenode {

/// Monotonic time in milliseconds: the clock TTLs are kept in (CLOCK_MONOTONIC, the clock of
/// std::chrono::steady_clock).
std::int64_t monotonic_ms();

struct StoreConfig {
    std::size_t max_memory = std::size_t{256} << 20; ///< bytes, entries and tables together
    Policy policy = Policy::sieve;
    /// Largest value the store will be given; with max_memory it sets the number of shards, so
    /// that one shard's share of the memory holds several values of that size.
    std::size_t max_value = std::size_t{1} << 20;
    unsigned shards = 0;                    ///< a power of two; 0: chosen as above
    std::int64_t (*clock)() = monotonic_ms; ///< tests replace it
    /// Keep the keys of each Redis Cluster slot (slots.hpp) together, so that keys_in_slot()
    /// is a load and keys_of_slot() looks at a 64th of the keys instead of every one: for
    /// cluster mode.  Each shard's hash table is then split by slot into 64 tables that grow
    /// on their own, their buckets side by side in one array, and each slot's keys are
    /// counted: nothing is added per key.
    bool slot_index = false;
};

/// The types of value a key can hold.
enum class Type : std::uint8_t { string, hash };
/// "string", "hash": TYPE's answers.
const char* type_name(Type t);

/// A key's value copied out of the store, to be put back elsewhere (COPY, RENAME, RESTORE,
/// dump.hpp's payloads).
struct Value {
    Type type = Type::string;
    std::string str;                                         ///< Type::string
    std::vector<std::pair<std::string, std::string>> fields; ///< Type::hash: field, value
};

enum class Status {
    ok,
    not_found,
    condition,   ///< SET NX found the key, or SET XX did not
    oom,         ///< no room, and the policy may not evict (noeviction) or nothing is left to evict
    not_integer, ///< INCR on a value that is not a 64-bit decimal integer
    overflow,    ///< INCR past the range of a 64-bit integer
    wrongtype,   ///< a string operation on a hash or the other way round
};

struct SetArgs {
    enum class Cond { always, nx, xx };
    Cond cond = Cond::always;
    std::int64_t expire_at = 0; ///< monotonic ms; 0: no TTL
    bool keep_ttl = false;      ///< keep the key's current TTL (SET KEEPTTL)
};

/// EXPIRE's NX, XX, GT and LT: set the TTL only when the key has none, has one, or the new
/// one is later or earlier than its current one (no TTL counting as infinite).
enum class ExpireCond { always, nx, xx, gt, lt };

/// What Store::modify's function sees of a key.
struct Current {
    bool found = false;
    std::string_view value;     ///< a string's, valid during the call only; empty for a hash
    std::int64_t expire_at = 0; ///< monotonic ms; 0: no TTL
    Type type = Type::string;
    const Hash* hash = nullptr; ///< Type::hash: the hash, valid during the call only
};

/// What Store::modify's function wants done with the key.
struct Update {
    enum class Action { keep, write, erase };
    Action action = Action::keep;
    std::string value;
    std::int64_t expire_at = 0; ///< monotonic ms; 0: no TTL
};

struct StoreStats {
    std::uint64_t hits = 0, misses = 0, evictions = 0, expired = 0;
    std::uint64_t keys = 0, keys_with_ttl = 0;
    std::size_t used = 0, limit = 0;
};

struct ExpireSample {
    unsigned sampled = 0;
    unsigned expired = 0;
};

class Store {
public:
    explicit Store(const StoreConfig& config);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// A 64-bit digest of bytes (XXH3): where keys are kept without slot_index.
    static std::uint64_t hash(std::string_view key);

    /// While alive, operations on this store from the constructing thread take the time from
    /// `at` instead of reading the clock: the commands of one read are served at one instant,
    /// as Redis serves those of one event-loop iteration, and a pipeline of 16 costs no
    /// clock_gettime per command.  Scopes nest; other threads are unaffected.
    class TimeScope {
    public:
        TimeScope(const Store& store, std::chrono::steady_clock::time_point at);
        ~TimeScope();
        TimeScope(const TimeScope&) = delete;
        TimeScope& operator=(const TimeScope&) = delete;

    private:
        const Store* outer_store_;
        std::int64_t outer_now_;
    };

    /// Holds the locks of the shards some keys live in (or of every shard), in ascending shard
    /// order so that two holders cannot deadlock.  While it lives, operations of this thread on
    /// those keys take no lock of their own: a multi-key command or a transaction runs as one
    /// step that no other thread sees half done.  Operations on other keys must not run in it.
    class Lock {
    public:
        /// Locks the shards of keys[0], keys[step], keys[2 * step], ...
        Lock(Store& store, std::span<const std::string_view> keys, std::size_t step = 1);
        /// Locks every shard.
        explicit Lock(Store& store);
        ~Lock();
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

    private:
        friend class Store;
        void acquire();
        Store& store_;
        std::vector<unsigned> shards_; ///< ascending
        const Lock* outer_;
    };

    /// Calls f(std::string_view value) under the shard's lock when key holds a string.  Counts a
    /// hit or a miss.  False when key is missing or holds a hash.
    template <class F>
    bool get(std::string_view key, F&& f) {
        return read(key, std::forward<F>(f)) == Status::ok;
    }
    /// As get(), saying why not: not_found, or wrongtype for a hash.
    template <class F>
    Status read(std::string_view key, F&& f) {
        return read_as(key, false, [&](const Entry& e) { f(e.value()); });
    }
    /// Calls f(const Hash&) under the shard's lock when key holds a hash: not_found when it is
    /// missing, wrongtype when it holds a string.  Counts a hit or a miss.
    template <class F>
    Status read_hash(std::string_view key, F&& f) {
        return read_as(key, true, [&](const Entry& e) { f(static_cast<const Hash&>(*e.hash_ref().hash)); });
    }
    /// Changes the hash in key in one step under its shard's lock: f(Hash&) changes it, and
    /// the shard counts its new size; a hash left empty is deleted, as Redis deletes it.
    /// growth: the most bytes f adds (Hash::growth), made room for first; 0 when f only
    /// reads or removes, which then runs even over the limit.  create: a missing key starts as
    /// an empty hash, else it is not_found.  wrongtype when key holds a string, oom when the
    /// growth cannot fit.
    template <class F>
    Status modify_hash(std::string_view key, std::size_t growth, bool create, F&& f) {
        std::uint64_t h = key_hash(key);
        Shard& s = shard_for(h);
        Guard lock(*this, s);
        Entry** link = lookup_link(s, key, h, now());
        count_access(s, link ? *link : nullptr);
        if (Status st = prepare_hash(s, key, h, link, growth, create); st != Status::ok)
            return st;
        f(*(*link)->hash_ref().hash);
        settle_hash(s, link);
        return Status::ok;
    }
    /// What key's entry (with its hash, if one) takes of the memory limit; 0 when missing.
    std::size_t memory_usage(std::string_view key);
    /// S3-FIFO's access count of key (0 to 3); false when key is missing.
    bool frequency(std::string_view key, unsigned& f);
    /// The type of key's value; false when key is missing.
    bool type_of(std::string_view key, Type& type);
    /// Copies key's value and deadline (monotonic ms, 0: none) out; false when key is missing.
    bool snapshot(std::string_view key, Value& v, std::int64_t& expire_at);
    /// Writes v to key with the deadline expire_at (monotonic ms, 0: none), replacing whatever
    /// key holds; a deadline already past deletes key.  oom when it does not fit.
    Status put(std::string_view key, const Value& v, std::int64_t expire_at);

    Status set(std::string_view key, std::string_view value, const SetArgs& args = {});
    /// Sets the pairs kv[0]=kv[1], kv[2]=kv[3], ... with every shard they touch locked, so no
    /// reader sees part of them.  Stops at the first pair that does not fit (Status::oom).
    Status mset(std::span<const std::string_view> kv);
    bool del(std::string_view key);
    bool exists(std::string_view key);
    /// Gives key a TTL ending at monotonic ms `at` when cond allows; a time already past deletes
    /// the key, as EXPIRE with a negative time does.  The TTL's bytes are charged (and evicted
    /// for) first.  not_found when the key is missing, condition when cond says no.
    Status expire_at(std::string_view key, std::int64_t at, ExpireCond cond = ExpireCond::always);
    /// Reads and changes key in one step under its shard's lock: f(const Current&) returns an
    /// Update.  Status::oom when a write does not fit.
    template <class F>
    Status modify(std::string_view key, F&& f) {
        std::uint64_t h = key_hash(key);
        Shard& s = shard_for(h);
        Guard lock(*this, s);
        Entry** link = lookup_link(s, key, h, now());
        count_access(s, link ? *link : nullptr);
        Update u = f(current_of(link ? *link : nullptr));
        return apply(s, key, h, link, u);
    }
    /// Calls f(const Current&) with key under its shard's lock, counting no access and leaving
    /// its access time as it was: what OBJECT and WATCH look at.  False when key is missing.
    template <class F>
    bool inspect(std::string_view key, F&& f) {
        return peek(key, [&](const Entry* e) {
            if (e)
                f(current_of(e));
            return e != nullptr;
        });
    }
    /// Looks key up for a write, as Redis's commands do before they check what they were given:
    /// its access time is set and the policy told, but no hit or miss is counted.  False when
    /// key is missing; else type is its type.
    bool touch(std::string_view key, Type& type);
    /// Seconds since key was last read or written (OBJECT IDLETIME); false when it is missing.
    bool idle_time(std::string_view key, std::uint32_t& seconds);
    /// Makes key look last used `seconds` ago (RESTORE IDLETIME); false when it is missing.
    bool set_idle_time(std::string_view key, std::uint64_t seconds);
    /// Removes key's TTL; false when it is missing or has none.
    bool persist(std::string_view key);
    /// Milliseconds key has left; -1 no TTL, -2 missing.
    std::int64_t pttl(std::string_view key);
    /// Adds delta to the integer in key (0 when missing), keeping its TTL.  wrongtype for a hash.
    Status incr_by(std::string_view key, std::int64_t delta, std::int64_t& result);
    /// Appends data to key's value (creating it), keeping its TTL; new_len is the new length.
    /// wrongtype for a hash.
    Status append(std::string_view key, std::string_view data, std::size_t& new_len);
    /// Length of key's string value, 0 when missing or a hash.
    std::size_t strlen(std::string_view key);

    /// Calls f(key, value, expire_at) for every live key of shard i, under its lock; value is
    /// empty for a hash (snapshot() copies one out).
    template <class F>
    void for_each(unsigned i, F&& f) {
        Shard& s = shards_[i];
        Guard lock(*this, s);
        std::int64_t now = this->now();
        for (Table& t : s.tables)
            for (Entry* e : t.buckets)
                for (; e; e = e->hnext)
                    if (!(e->has_ttl() && e->ttl()->expire_at <= now))
                        f(e->key(), e->is_hash() ? std::string_view() : e->value(),
                          e->has_ttl() ? e->ttl()->expire_at : 0);
    }
    /// One step of SCAN from cursor (0: the start): calls f(key, type) for the live keys of a
    /// few buckets, at least count keys unless the scan ends, and returns the next cursor (0: the
    /// scan is over).  The cursor holds a shard, one of its tables (slot_index) and a bucket,
    /// and walks each table's buckets in reverse binary order, as Redis's does, so a key present
    /// from start to end is returned at least once even if tables grow.
    template <class F>
    std::uint64_t scan(std::uint64_t cursor, std::size_t count, F&& f) {
        std::size_t seen = 0;
        const unsigned low_bits = shard_bits_ + group_bits_;
        const unsigned groups = 1u << group_bits_;
        while (seen < count) {
            unsigned i = static_cast<unsigned>(cursor & (shard_count_ - 1));
            unsigned g = static_cast<unsigned>((cursor >> shard_bits_) & (groups - 1));
            std::uint64_t v = cursor >> low_bits;
            {
                Shard& s = shards_[i];
                Guard lock(*this, s);
                std::int64_t now = this->now();
                const Table& t = s.tables[g];
                std::uint64_t mask = t.buckets.size() - 1;
                for (Entry* e = t.buckets[v & mask]; e; e = e->hnext)
                    if (!(e->has_ttl() && e->ttl()->expire_at <= now)) {
                        f(e->key(), e->is_hash() ? Type::hash : Type::string);
                        ++seen;
                    }
                v |= ~mask;
                v = reverse_bits(v) + 1;
                v = reverse_bits(v);
            }
            if (v == 0 && ++g == groups) {
                g = 0;
                if (i + 1 == shard_count_)
                    return 0;
                ++i;
            }
            cursor = (v << low_bits) | (std::uint64_t{g} << shard_bits_) | i;
        }
        return cursor;
    }
    /// A random live key, or nullopt-like false when the store is empty.
    bool random_key(std::string& key);

    std::uint64_t size() const;
    void flush();

    /// The number of keys in Redis Cluster slot `slot`.  With StoreConfig::slot_index, keys
    /// whose deadline has passed count until they are reclaimed, as in Redis, and the answer
    /// is one load; without it every key is looked at.
    std::uint64_t keys_in_slot(unsigned slot);
    /// Up to max keys of slot `slot` (in no particular order), as keys_in_slot() counts them:
    /// with StoreConfig::slot_index, the keys of the slot's table in each shard are looked at,
    /// under that shard's lock; without it, every key.
    std::vector<std::string> keys_of_slot(unsigned slot, std::size_t max);

    unsigned shard_count() const { return shard_count_; }
    /// Looks at up to n random entries with a TTL in one shard and deletes the expired ones.
    ExpireSample expire_sample(unsigned shard, unsigned n);

    /// A limit no store reaches (CONFIG SET maxmemory 0), with room left for the sums made
    /// with it.
    static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max() / 4;

    StoreStats stats() const;
    std::size_t limit() const { return limit_; }
    Policy policy() const { return policy_; }
    /// Whether the store holds more than the limit allows after evicting what the policy may
    /// (nothing under noeviction; a limit below what the tables alone take): Redis then refuses
    /// commands that may add memory (OOM).  Two loads when under the limit.
    bool over_limit() {
        if (used_total_.load(std::memory_order_relaxed) <= static_cast<std::int64_t>(limit_.load(std::memory_order_relaxed)))
            return false;
        return evict_to_limit();
    }
    /// CONFIG SET maxmemory: a new limit, shared by the shards as at start; keys are evicted
    /// at once down to it (none under noeviction, which then refuses writes).  unlimited: none.
    void set_limit(std::size_t max_memory);
    /// CONFIG SET maxmemory-policy: every shard's entries ordered afresh by the new policy,
    /// with every shard locked meanwhile.
    void set_policy(Policy p);
    /// The time operations use: the TimeScope's on this thread, else the clock's.
    std::int64_t now() const;

private:
    // Counters are written under the shard's lock and read without it, hence atomics that
    // are only ever loaded and stored (no read-modify-write on the hot path).
    /// A chained hash table: the key of hash h is in bucket (h >> bucket_shift_) & mask.
    struct Table {
        std::span<Entry*> buckets; ///< a power of two of them, in its shard's bucket array
        std::size_t count = 0;
    };
    struct alignas(64) Shard {
        std::mutex mu;
        /// One table; with slot_index one per group of slots, a key's slot choosing its table.
        std::vector<Table> tables;
        /// Every table's buckets, in the order of the tables and without gaps: tables[0]'s
        /// first.  A table that doubles moves the tables after it along; bucket_capacity
        /// leaves room for that (with slot_index), so that growing thousands of small tables
        /// frees few, large arrays to malloc(3) rather than a small one per doubling, which it
        /// could not give to the entries that follow.
        std::unique_ptr<Entry*[]> buckets;
        std::size_t bucket_count = 0;    ///< the tables' buckets together
        std::size_t bucket_capacity = 0; ///< the length of buckets
        std::size_t table_bytes = 0;     ///< what tables and their buckets take
        std::vector<Entry*> ttl_entries;
        std::unique_ptr<EvictionPolicy> policy;
        std::size_t count = 0;
        std::size_t entry_bytes = 0;
        std::size_t limit = 0;
        std::uint64_t rng = 0;
        std::atomic<std::uint64_t> hits{0}, misses{0}, evictions{0}, expired{0}, keys{0}, keys_ttl{0};
        std::atomic<std::size_t> used{0};

        std::size_t footprint() const;
    };

    /// Locks a shard for one operation, unless this thread's Lock holds it already.
    class Guard {
    public:
        Guard(const Store& store, Shard& s) : mu_(&s.mu) {
            if (held_ && store.holds(s)) {
                mu_ = nullptr;
                return;
            }
            mu_->lock();
        }
        ~Guard() {
            if (mu_)
                mu_->unlock();
        }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        std::mutex* mu_;
    };

    static std::uint64_t reverse_bits(std::uint64_t v);
    /// read() and read_hash(): f(const Entry&) under the shard's lock when key holds a hash
    /// (is_hash) or a string (not); counts a hit or a miss.
    template <class F>
    Status read_as(std::string_view key, bool is_hash, F&& f) {
        std::uint64_t h = key_hash(key);
        Shard& s = shard_for(h);
        Guard lock(*this, s);
        Entry* e = lookup(s, key, h, now());
        count_access(s, e);
        if (!e)
            return Status::not_found;
        if (e->is_hash() != is_hash)
            return Status::wrongtype;
        f(static_cast<const Entry&>(*e));
        return Status::ok;
    }
    /// f(const Entry*) with key's live entry (null when missing) under its shard's lock,
    /// counting no access: what OBJECT, TYPE and MEMORY USAGE look at.
    template <class F>
    auto peek(std::string_view key, F&& f) {
        return with_live(key, [&](Shard&, Entry* e) { return f(static_cast<const Entry*>(e)); });
    }
    /// f(Shard&, Entry*) with key's live entry (null when missing) under its shard's lock.
    template <class F>
    auto with_live(std::string_view key, F&& f) {
        std::uint64_t h = key_hash(key);
        Shard& s = shard_for(h);
        Guard lock(*this, s);
        return f(s, lookup(s, key, h, now()));
    }
    /// Whether this thread's Lock holds s.
    bool holds(const Shard& s) const;
    /// The innermost Lock of this thread.
    static inline thread_local const Lock* held_ = nullptr;

    /// The hash key is kept by: hash(key), or with slot_index slotted_hash(key).  Its top bits
    /// choose the shard; with slot_index, its low bits the table.
    std::uint64_t key_hash(std::string_view key) const { return slot_keys_ ? slotted_hash(key) : hash(key); }
    /// hash(key) shifted up by slot_bits, key's slot in the bits freed.
    static std::uint64_t slotted_hash(std::string_view key);
    unsigned index_of(std::uint64_t h) const { return shard_bits_ ? static_cast<unsigned>(h >> (64 - shard_bits_)) : 0; }
    Shard& shard_for(std::uint64_t h) { return shards_[shard_bits_ ? h >> (64 - shard_bits_) : 0]; }
    Table& table_for(Shard& s, std::uint64_t h) const {
        return s.tables[(h & group_mask_) >> (slot_bits - group_bits_)];
    }
    Entry*& bucket_for(Table& t, std::uint64_t h) const {
        return t.buckets[(h >> bucket_shift_) & (t.buckets.size() - 1)];
    }
    Entry** find(Shard& s, std::string_view key, std::uint64_t h);
    /// The live entry for key; an expired one is removed on the way.
    Entry* lookup(Shard& s, std::string_view key, std::uint64_t h, std::int64_t now);
    Entry** lookup_link(Shard& s, std::string_view key, std::uint64_t h, std::int64_t now);
    /// A hit on e (its access time set, the policy told), or a miss when e is null.
    void count_access(Shard& s, Entry* e);
    /// Sets e's access time to now: e was read or written.
    void stamp(Entry* e) const { e->set_atime(lru_clock(now())); }
    /// What Current says of e (null: missing).
    static Current current_of(const Entry* e);
    Status apply(Shard& s, std::string_view key, std::uint64_t h, Entry** link, const Update& u);
    /// modify_hash's first half: type check, room for growth, the empty hash of a new key;
    /// link then points at the hash's entry.
    Status prepare_hash(Shard& s, std::string_view key, std::uint64_t h, Entry**& link, std::size_t growth,
                        bool create);
    /// modify_hash's second half: the hash's new size counted, or the key deleted when empty.
    void settle_hash(Shard& s, Entry** link);
    /// Links a new entry for a key not in the shard into its bucket.
    void insert(Shard& s, std::uint64_t h, Entry* e);
    /// Puts fresh (owned) in place of key's entry at link, or as a new key when link is null,
    /// evicting first; destroys fresh and returns oom when it cannot fit.
    Status install(Shard& s, std::string_view key, std::uint64_t h, Entry** link, Entry* fresh);
    /// Inserts key (link null) or replaces the live entry at *link, with value and the TTL `at`
    /// (0: none), evicting first.  value must not point into the shard's entries.
    Status write(Shard& s, std::string_view key, std::uint64_t h, Entry** link, std::string_view value,
                 std::int64_t at, bool count_as_access);
    /// Replaces the entry at *link by a copy with TTL `at` (0: none).
    void retime(Shard& s, Entry** link, std::int64_t at);
    void replace(Shard& s, Entry** link, Entry* fresh);
    void unlink(Shard& s, Entry** link);
    void add_ttl(Shard& s, Entry* e);
    void drop_ttl(Shard& s, Entry* e);
    /// Doubles t's buckets, moving the tables after it along in s.buckets.
    void grow(Shard& s, Table& t);
    /// Empties s's tables, sized as at start.
    void reset_tables(Shard& s);
    /// Evicts until `add` more bytes fit, old's bytes (when given and kept) being freed by the
    /// write.  False when they cannot fit.
    bool evict_for(Shard& s, std::size_t add, const Entry* old, bool& evicted_old);
    /// over_limit()'s slow path: each shard evicted down to its share; whether still over.
    bool evict_to_limit();
    /// The most one entry of shard s may take: its share of the limit, or the whole limit
    /// under noeviction (whose limit is global).
    std::size_t ceiling(const Shard& s) const;
    void publish(Shard& s);
    static Entry* make(std::string_view key, std::string_view value, std::int64_t at);
    /// An entry owning hash.
    static Entry* make_hash(std::string_view key, Hash* hash, std::int64_t at);
    static void destroy(Entry* e);

    /// slotted_hash()'s low bits: the slot.
    static constexpr unsigned slot_bits = 14;
    /// With slot_index, each shard's table is split in 2^slot_group_bits by the slot's top
    /// bits: keys_of_slot() looks at a 64th of the keys, for 64 table headers and first buckets
    /// per shard (128 KB for 64 shards).
    static constexpr unsigned slot_group_bits = 6;
    /// The keys of slot `slot` that f(key) takes, f returning false to stop, by walking every
    /// key (no slot index).
    template <class F>
    void walk_slot(unsigned slot, F&& f);

    /// slot_index: the number of keys of each slot, changed under the lock of the key's shard.
    std::unique_ptr<std::atomic<std::uint32_t>[]> slot_keys_;
    std::unique_ptr<Shard[]> shards_;
    unsigned shard_count_ = 1;
    unsigned shard_bits_ = 0;
    unsigned group_bits_ = 0;      ///< slot_index: slot_group_bits
    std::uint64_t group_mask_ = 0; ///< slot_index: the bits of a key's hash that choose its table
    unsigned bucket_shift_ = 0;    ///< slot_index: slot_bits, past the slot
    std::atomic<std::size_t> limit_;
    /// Sum of the shards' footprints: what noeviction checks, as its limit is global.
    std::atomic<std::int64_t> used_total_{0};
    std::atomic<Policy> policy_;
    std::int64_t (*clock_)();
};

} // namespace syskit::cachenode

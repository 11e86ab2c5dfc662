#include "store.hpp"

#include "slots.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <ctime>
#include <limits>
#include <new>

namespace syskit::cachenode {

std::int64_t monotonic_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

/// The innermost TimeScope of this thread: its store and its time.
thread_local const Store* scope_store = nullptr;
thread_local std::int64_t scope_now = 0;

constexpr std::size_t initial_buckets = 16;

template <class T>
void bump(std::atomic<T>& a, T by = 1) {
    a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

std::uint64_t hash_key(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

bool expired(const Entry* e, std::int64_t now) { return e->has_ttl() && e->ttl()->expire_at <= now; }

/// Redis's integers: an optional '-', then digits without a leading zero; nothing else.
bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty() || s.size() > 20)
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size())
        return false;
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, out);
    return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)) == s;
}

} // namespace

std::uint64_t Store::hash(std::string_view key) { return hash_key(key); }

std::uint64_t Store::slotted_hash(std::string_view key) { return hash_key(key) << slot_bits | cluster::key_slot(key); }

const char* type_name(Type t) { return t == Type::hash ? "hash" : "string"; }

Store::TimeScope::TimeScope(const Store& store, std::chrono::steady_clock::time_point at)
    : outer_store_(scope_store), outer_now_(scope_now) {
    // steady_clock is CLOCK_MONOTONIC, so `at` converts to the store's own clock; a clock
    // a test put in is asked instead.
    scope_now = store.clock_ == monotonic_ms
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count()
                    : store.clock_();
    scope_store = &store;
}

Store::TimeScope::~TimeScope() {
    scope_store = outer_store_;
    scope_now = outer_now_;
}

std::int64_t Store::now() const { return scope_store == this ? scope_now : clock_(); }

std::size_t Store::Shard::footprint() const {
    return entry_bytes + table_bytes + ttl_entries.capacity() * sizeof(Entry*) + policy->overhead();
}

Store::Lock::Lock(Store& store, std::span<const std::string_view> keys, std::size_t step)
    : store_(store), outer_(held_) {
    for (std::size_t i = 0; i < keys.size(); i += step)
        shards_.push_back(store.index_of(store.key_hash(keys[i])));
    std::sort(shards_.begin(), shards_.end());
    shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
    acquire();
}

Store::Lock::Lock(Store& store) : store_(store), outer_(held_) {
    for (unsigned i = 0; i < store.shard_count_; ++i)
        shards_.push_back(i);
    acquire();
}

void Store::Lock::acquire() {
    // An enclosing Lock (a multi-key command inside EXEC) already holds what this one needs.
    if (!outer_)
        for (unsigned i : shards_)
            store_.shards_[i].mu.lock();
    held_ = this;
}

Store::Lock::~Lock() {
    held_ = outer_;
    if (!outer_)
        for (auto it = shards_.rbegin(); it != shards_.rend(); ++it)
            store_.shards_[*it].mu.unlock();
}

bool Store::holds(const Shard& s) const {
    const Lock* l = held_;
    while (l->outer_)
        l = l->outer_;
    return &l->store_ == this &&
           std::binary_search(l->shards_.begin(), l->shards_.end(), static_cast<unsigned>(&s - shards_.get()));
}

Store::Store(const StoreConfig& config)
    : limit_(config.max_memory), policy_(config.policy), clock_(config.clock) {
    unsigned n = config.shards;
    if (n == 0) {
        std::size_t per = std::max<std::size_t>(config.max_value, 1) * 4;
        n = static_cast<unsigned>(std::clamp<std::size_t>(config.max_memory / per, 1, 64));
    }
    shard_count_ = std::bit_floor(n);
    shard_bits_ = static_cast<unsigned>(std::countr_zero(shard_count_));
    shards_ = std::make_unique<Shard[]>(shard_count_);
    if (config.slot_index) {
        slot_keys_ = std::make_unique<std::atomic<std::uint32_t>[]>(cluster::slot_count);
        group_bits_ = slot_group_bits;
        group_mask_ = cluster::slot_count - 1;
        bucket_shift_ = slot_bits;
    }
    for (unsigned i = 0; i < shard_count_; ++i) {
        Shard& s = shards_[i];
        s.limit = limit_ / shard_count_;
        s.policy = make_policy(policy_, s.limit);
        reset_tables(s);
        s.rng = 0x9E3779B97F4A7C15ull * (i + 1);
        publish(s);
    }
}

Store::~Store() {
    for (unsigned i = 0; i < shard_count_; ++i)
        for (Table& t : shards_[i].tables)
            for (Entry* head : t.buckets)
                while (head) {
                    Entry* next = head->hnext;
                    destroy(head);
                    head = next;
                }
}

void Store::reset_tables(Shard& s) {
    // Split by slot, a shard's keys spread over 64 tables: each starts with one bucket, so
    // that an empty cluster node's tables stay small.
    std::size_t per_table = group_bits_ ? 1 : initial_buckets;
    std::vector<Table>(std::size_t{1} << group_bits_).swap(s.tables);
    s.bucket_count = s.bucket_capacity = s.tables.size() * per_table;
    s.buckets = std::make_unique<Entry*[]>(s.bucket_capacity);
    for (std::size_t i = 0; i < s.tables.size(); ++i)
        s.tables[i].buckets = {s.buckets.get() + i * per_table, per_table};
    s.table_bytes = s.tables.capacity() * sizeof(Table) + s.bucket_capacity * sizeof(Entry*);
}

Entry* Store::make(std::string_view key, std::string_view value, std::int64_t at) {
    bool ttl = at != 0;
    void* mem = ::operator new(Entry::alloc_size(key.size(), value.size(), ttl));
    auto* e = new (mem) Entry{};
    e->klen = static_cast<std::uint32_t>(key.size());
    e->vlen = static_cast<std::uint32_t>(value.size());
    e->flags = ttl ? entry_ttl : 0;
    if (ttl)
        *e->ttl() = TtlExt{at, 0, 0};
    std::memcpy(e->key_data(), key.data(), key.size());
    if (!value.empty())
        std::memcpy(e->value_data(), value.data(), value.size());
    return e;
}

Entry* Store::make_hash(std::string_view key, Hash* hash, std::int64_t at) {
    HashRef r{hash, hash->bytes()};
    Entry* e = make(key, std::string_view(reinterpret_cast<const char*>(&r), sizeof r), at);
    e->flags |= entry_hash;
    return e;
}

void Store::destroy(Entry* e) {
    if (e->is_hash())
        delete e->hash_ref().hash;
    e->~Entry();
    ::operator delete(e);
}

void Store::publish(Shard& s) {
    s.keys.store(s.count, std::memory_order_relaxed);
    s.keys_ttl.store(s.ttl_entries.size(), std::memory_order_relaxed);
    std::size_t now = s.footprint();
    std::size_t before = s.used.load(std::memory_order_relaxed);
    if (now == before)
        return; // an overwrite in place, the most common write: no shared counter touched
    s.used.store(now, std::memory_order_relaxed);
    used_total_.fetch_add(static_cast<std::int64_t>(now) - static_cast<std::int64_t>(before),
                          std::memory_order_relaxed);
}

Entry** Store::find(Shard& s, std::string_view key, std::uint64_t h) {
    Entry** link = &bucket_for(table_for(s, h), h);
    for (; *link; link = &(*link)->hnext) {
        Entry* e = *link;
        if (e->klen == key.size() && std::memcmp(e->key_data(), key.data(), key.size()) == 0)
            return link;
    }
    return nullptr;
}

Entry** Store::lookup_link(Shard& s, std::string_view key, std::uint64_t h, std::int64_t now) {
    Entry** link = find(s, key, h);
    if (link && expired(*link, now)) {
        unlink(s, link);
        bump(s.expired);
        publish(s);
        return nullptr;
    }
    return link;
}

Entry* Store::lookup(Shard& s, std::string_view key, std::uint64_t h, std::int64_t now) {
    Entry** link = lookup_link(s, key, h, now);
    return link ? *link : nullptr;
}

void Store::count_access(Shard& s, Entry* e) {
    if (e) {
        stamp(e);
        s.policy->accessed(e);
        bump(s.hits);
    } else {
        bump(s.misses);
    }
}

Current Store::current_of(const Entry* e) {
    Current cur;
    if (!e)
        return cur;
    cur.found = true;
    cur.expire_at = e->has_ttl() ? e->ttl()->expire_at : 0;
    if (e->is_hash()) {
        cur.type = Type::hash;
        cur.hash = e->hash_ref().hash;
    } else {
        cur.value = e->value();
    }
    return cur;
}

void Store::add_ttl(Shard& s, Entry* e) {
    e->ttl()->index = static_cast<std::uint32_t>(s.ttl_entries.size());
    s.ttl_entries.push_back(e);
}

void Store::drop_ttl(Shard& s, Entry* e) {
    std::uint32_t i = e->ttl()->index;
    Entry* last = s.ttl_entries.back();
    s.ttl_entries[i] = last;
    last->ttl()->index = i;
    s.ttl_entries.pop_back();
}

void Store::unlink(Shard& s, Entry** link) {
    Entry* e = *link;
    *link = e->hnext;
    s.policy->removed(e);
    if (e->has_ttl())
        drop_ttl(s, e);
    s.entry_bytes -= e->charge();
    --s.count;
    if (slot_keys_) {
        unsigned slot = cluster::key_slot(e->key());
        --s.tables[slot >> (slot_bits - group_bits_)].count;
        slot_keys_[slot].fetch_sub(1, std::memory_order_relaxed);
    } else {
        --s.tables[0].count;
    }
    destroy(e);
}

void Store::replace(Shard& s, Entry** link, Entry* fresh) {
    Entry* old = *link;
    fresh->hnext = old->hnext;
    *link = fresh;
    stamp(fresh);
    constexpr std::uint8_t policy_bits = entry_main | entry_visited | entry_freq_mask;
    fresh->flags = static_cast<std::uint8_t>((fresh->flags & ~policy_bits) | (old->flags & policy_bits));
    s.policy->replaced(old, fresh);
    if (old->has_ttl() && fresh->has_ttl()) {
        fresh->ttl()->index = old->ttl()->index;
        s.ttl_entries[fresh->ttl()->index] = fresh;
    } else if (old->has_ttl()) {
        drop_ttl(s, old);
    } else if (fresh->has_ttl()) {
        add_ttl(s, fresh);
    }
    s.entry_bytes += fresh->charge();
    s.entry_bytes -= old->charge();
    if (old->is_hash() && fresh->is_hash() && old->hash_ref().hash == fresh->hash_ref().hash)
        old->flags &= static_cast<std::uint8_t>(~entry_hash); // fresh owns the hash now
    destroy(old);
}

void Store::retime(Shard& s, Entry** link, std::int64_t at) {
    Entry* e = *link;
    if (e->has_ttl() && at != 0) {
        e->ttl()->expire_at = at;
        return;
    }
    Entry* fresh = make(e->key(), e->value(), at);
    fresh->flags |= e->flags & entry_hash; // the same HashRef: the hash moves to fresh
    replace(s, link, fresh);
}

void Store::grow(Shard& s, Table& t) {
    // A whole-table split: a shard holds 1/64 of the keys, so this stays short, and it happens
    // only when the table's key count doubles.  The bucket index is the same bits of XXH3 with
    // slot_index or without (slotted_hash shifts it up by what bucket_shift_ takes).  With
    // slot_index the tables after t move up by one memmove, on average half the shard's
    // buckets: about what hashing t's keys for the split costs.
    std::size_t half = t.buckets.size();
    std::size_t end = static_cast<std::size_t>(t.buckets.data() - s.buckets.get()) + half;
    if (s.bucket_count + half > s.bucket_capacity) {
        // One table (no slot_index): exactly the doubled table, as a vector would be.  Many:
        // a 16th more, room for the next few tables to double in place.
        std::size_t need = s.bucket_count + half;
        std::size_t capacity = need + (group_bits_ ? need / 16 : 0);
        std::unique_ptr<Entry*[]> fresh(new Entry*[capacity]);
        std::copy(s.buckets.get(), s.buckets.get() + end, fresh.get());
        std::copy(s.buckets.get() + end, s.buckets.get() + s.bucket_count, fresh.get() + end + half);
        s.table_bytes += (capacity - s.bucket_capacity) * sizeof(Entry*);
        s.buckets = std::move(fresh);
        s.bucket_capacity = capacity;
    } else {
        std::copy_backward(s.buckets.get() + end, s.buckets.get() + s.bucket_count,
                           s.buckets.get() + s.bucket_count + half);
    }
    s.bucket_count += half;
    std::fill(s.buckets.get() + end, s.buckets.get() + end + half, nullptr);
    std::size_t at = 0;
    for (Table& x : s.tables) {
        std::size_t n = &x == &t ? 2 * half : x.buckets.size();
        x.buckets = {s.buckets.get() + at, n};
        at += n;
    }
    // Each chain keeps the keys whose next hash bit is clear and gives the others to the
    // bucket as far up in the new half.
    for (std::size_t i = 0; i < half; ++i) {
        Entry** keep = &t.buckets[i];
        Entry** move = &t.buckets[i + half];
        for (Entry* e = *keep; e; e = e->hnext) {
            if (hash_key(e->key()) & half) {
                *move = e;
                move = &e->hnext;
            } else {
                *keep = e;
                keep = &e->hnext;
            }
        }
        *keep = nullptr;
        *move = nullptr;
    }
}

std::size_t Store::ceiling(const Shard& s) const {
    return policy_ == Policy::noeviction ? limit_.load(std::memory_order_relaxed) : s.limit;
}

bool Store::evict_for(Shard& s, std::size_t add, const Entry* old, bool& evicted_old) {
    // old is the entry the write replaces: its bytes come back unless it is evicted itself.
    std::size_t credit = old ? old->charge() : 0;
    if (policy_ == Policy::noeviction) {
        // Nothing is evicted, so no shard needs a share of its own: the limit is global.
        std::int64_t total = used_total_.load(std::memory_order_relaxed);
        return total + static_cast<std::int64_t>(add) - static_cast<std::int64_t>(credit) <=
               static_cast<std::int64_t>(limit_);
    }
    auto over = [&] { return s.footprint() + add > s.limit + credit; };
    while (over()) {
        Entry* v = s.policy->victim(slot_keys_ ? slotted_hash : hash_key);
        if (!v)
            return false;
        if (v == old) {
            evicted_old = true;
            credit = 0;
        }
        unlink(s, find(s, v->key(), key_hash(v->key())));
        bump(s.evictions);
    }
    return true;
}

Status Store::write(Shard& s, std::string_view key, std::uint64_t h, Entry** link, std::string_view value,
                    std::int64_t at, bool count_as_access) {
    std::size_t need = Entry::charge(Entry::alloc_size(key.size(), value.size(), at != 0));
    if (need > ceiling(s))
        return Status::oom;
    bool evicted_old = false;
    Entry* old = link ? *link : nullptr;
    if (!evict_for(s, need, old, evicted_old)) {
        publish(s);
        return Status::oom;
    }
    if (old)
        link = evicted_old ? nullptr : find(s, key, h); // eviction may have changed the chain
    if (link) {
        old = *link;
        if (old->vlen == value.size() && old->has_ttl() == (at != 0) && !old->is_hash()) {
            // Same shape: overwrite in place, no allocation (SET of a same-sized value).
            std::memcpy(old->value_data(), value.data(), value.size());
            if (at != 0)
                old->ttl()->expire_at = at;
            stamp(old);
        } else {
            replace(s, link, make(key, value, at));
        }
        if (count_as_access)
            s.policy->accessed(*link);
    } else {
        insert(s, h, make(key, value, at));
    }
    publish(s);
    return Status::ok;
}

void Store::insert(Shard& s, std::uint64_t h, Entry* e) {
    Table& t = table_for(s, h);
    Entry*& head = bucket_for(t, h);
    e->hnext = head;
    head = e;
    stamp(e);
    ++s.count;
    ++t.count;
    if (slot_keys_)
        slot_keys_[h & (cluster::slot_count - 1)].fetch_add(1, std::memory_order_relaxed);
    s.entry_bytes += e->charge();
    s.policy->inserted(e, h);
    if (e->has_ttl())
        add_ttl(s, e);
    // With slot_index, the shard's buckets follow its keys as one table's would, a 64th at a
    // time, rather than each table rounding up to a power of two on its own: a table more
    // loaded than one key a bucket doubles while the shard's tables together are, and a
    // table that holds twice its buckets' keys (a slot most keys are in) whatever they hold.
    // Without, s.count and s.bucket_count are the one table's.
    if (t.count > t.buckets.size() && (s.count > s.bucket_count || t.count > 2 * t.buckets.size()))
        grow(s, t);
}

Status Store::install(Shard& s, std::string_view key, std::uint64_t h, Entry** link, Entry* fresh) {
    std::size_t need = fresh->charge();
    bool evicted_old = false;
    Entry* old = link ? *link : nullptr;
    if (need > ceiling(s) || !evict_for(s, need, old, evicted_old)) {
        destroy(fresh);
        publish(s);
        return Status::oom;
    }
    if (old)
        link = evicted_old ? nullptr : find(s, key, h);
    if (link)
        replace(s, link, fresh);
    else
        insert(s, h, fresh);
    publish(s);
    return Status::ok;
}

Status Store::prepare_hash(Shard& s, std::string_view key, std::uint64_t h, Entry**& link, std::size_t growth,
                           bool create) {
    if (link && !(*link)->is_hash())
        return Status::wrongtype;
    if (!link && !create)
        return Status::not_found;
    if (link && growth == 0)
        return Status::ok;
    if (!link) {
        Status st = install(s, key, h, nullptr, make_hash(key, new Hash(), 0));
        if (st != Status::ok)
            return st;
        link = find(s, key, h);
    }
    Entry* e = *link;
    std::size_t add = e->charge() + growth;
    if (add > ceiling(s))
        return Status::oom;
    bool evicted = false;
    if (!evict_for(s, add, e, evicted)) {
        publish(s);
        return Status::oom;
    }
    if (evicted) {
        // The policy chose this very hash: the command then starts from an empty one, as it
        // would have had the eviction happened just before it.
        if (!create)
            return Status::not_found;
        Status st = install(s, key, h, nullptr, make_hash(key, new Hash(), 0));
        if (st != Status::ok)
            return st;
    }
    link = find(s, key, h);
    return Status::ok;
}

void Store::settle_hash(Shard& s, Entry** link) {
    Entry* e = *link;
    HashRef r = e->hash_ref();
    if (r.hash->size() == 0) {
        unlink(s, link);
    } else if (r.hash->bytes() != r.charged) {
        std::size_t old_charge = e->charge();
        r.charged = r.hash->bytes();
        e->set_hash_ref(r);
        s.entry_bytes += e->charge();
        s.entry_bytes -= old_charge;
        s.policy->resized(e, old_charge);
    }
    publish(s);
}

std::size_t Store::memory_usage(std::string_view key) {
    return peek(key, [](const Entry* e) { return e ? e->charge() : std::size_t{0}; });
}

bool Store::frequency(std::string_view key, unsigned& f) {
    return peek(key, [&](const Entry* e) {
        if (e)
            f = e->freq();
        return e != nullptr;
    });
}

bool Store::touch(std::string_view key, Type& type) {
    return with_live(key, [&](Shard& s, Entry* e) {
        if (!e)
            return false;
        stamp(e);
        s.policy->accessed(e);
        type = e->is_hash() ? Type::hash : Type::string;
        return true;
    });
}

bool Store::idle_time(std::string_view key, std::uint32_t& seconds) {
    return peek(key, [&](const Entry* e) {
        if (e)
            seconds = lru_idle(e->atime(), lru_clock(now()));
        return e != nullptr;
    });
}

bool Store::set_idle_time(std::string_view key, std::uint64_t seconds) {
    return with_live(key, [&](Shard&, Entry* e) {
        if (e)
            e->set_atime(lru_stamp_idle(lru_clock(now()), seconds));
        return e != nullptr;
    });
}

bool Store::type_of(std::string_view key, Type& type) {
    return peek(key, [&](const Entry* e) {
        if (e)
            type = e->is_hash() ? Type::hash : Type::string;
        return e != nullptr;
    });
}

bool Store::snapshot(std::string_view key, Value& v, std::int64_t& expire_at) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry* e = lookup(s, key, h, now());
    if (!e)
        return false;
    expire_at = e->has_ttl() ? e->ttl()->expire_at : 0;
    v.str.clear();
    v.fields.clear();
    if (e->is_hash()) {
        v.type = Type::hash;
        const Hash& hs = *e->hash_ref().hash;
        v.fields.reserve(hs.size());
        hs.for_each([&](std::string_view f, std::string_view val) { v.fields.emplace_back(f, val); });
    } else {
        v.type = Type::string;
        v.str.assign(e->value());
    }
    return true;
}

Status Store::put(std::string_view key, const Value& v, std::int64_t expire_at) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    if (expire_at != 0 && expire_at <= now()) {
        if (link) {
            unlink(s, link);
            publish(s);
        }
        return Status::ok;
    }
    if (v.type == Type::string)
        return write(s, key, h, link, v.str, expire_at, true);
    auto* hs = new Hash();
    for (const auto& [f, val] : v.fields)
        hs->set(f, val);
    return install(s, key, h, link, make_hash(key, hs, expire_at));
}

Status Store::set(std::string_view key, std::string_view value, const SetArgs& args) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    Entry* old = link ? *link : nullptr;
    if ((args.cond == SetArgs::Cond::nx && old) || (args.cond == SetArgs::Cond::xx && !old)) {
        if (old)
            stamp(old); // looked up for writing, which Redis counts as a use even when refused
        return Status::condition;
    }
    std::int64_t at = args.expire_at;
    if (args.keep_ttl)
        at = old && old->has_ttl() ? old->ttl()->expire_at : 0;
    return write(s, key, h, link, value, at, true);
}

Status Store::mset(std::span<const std::string_view> kv) {
    Lock lock(*this, kv, 2);
    std::int64_t now = this->now();
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        std::uint64_t h = key_hash(kv[i]);
        Shard& s = shard_for(h);
        Entry** link = lookup_link(s, kv[i], h, now);
        if (Status st = write(s, kv[i], h, link, kv[i + 1], 0, true); st != Status::ok)
            return st;
    }
    return Status::ok;
}

bool Store::del(std::string_view key) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    if (!link)
        return false;
    unlink(s, link);
    publish(s);
    return true;
}

bool Store::exists(std::string_view key) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    return lookup(s, key, h, now()) != nullptr;
}

Status Store::expire_at(std::string_view key, std::int64_t at, ExpireCond cond) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    std::int64_t now = this->now();
    Entry** link = lookup_link(s, key, h, now);
    if (!link)
        return Status::not_found;
    Entry* e = *link;
    stamp(e); // used, as in Redis, even when cond refuses
    std::int64_t cur = e->has_ttl() ? e->ttl()->expire_at : 0;
    if ((cond == ExpireCond::nx && cur) || (cond == ExpireCond::xx && !cur) ||
        (cond == ExpireCond::gt && (!cur || at <= cur)) || (cond == ExpireCond::lt && cur && at >= cur))
        return Status::condition;
    if (at <= now) {
        unlink(s, link);
        bump(s.expired);
        publish(s);
        return Status::ok;
    }
    if (cur) {
        e->ttl()->expire_at = at;
        return Status::ok;
    }
    // The entry grows by the TTL's bytes: room is made for them first.
    std::size_t need = e->charge() + Entry::charge(Entry::alloc_size(e->klen, e->vlen, true)) -
                       Entry::charge(Entry::alloc_size(e->klen, e->vlen, false));
    bool evicted = false;
    if (need > ceiling(s) || !evict_for(s, need, e, evicted)) {
        publish(s);
        return Status::oom;
    }
    if (evicted) {
        publish(s);
        return Status::not_found;
    }
    retime(s, find(s, key, h), at);
    publish(s);
    return Status::ok;
}

Status Store::apply(Shard& s, std::string_view key, std::uint64_t h, Entry** link, const Update& u) {
    switch (u.action) {
    case Update::Action::keep:
        return Status::ok;
    case Update::Action::erase:
        if (link) {
            unlink(s, link);
            publish(s);
        }
        return Status::ok;
    case Update::Action::write:
        break;
    }
    if (u.expire_at != 0 && u.expire_at <= now()) {
        if (link) {
            unlink(s, link);
            bump(s.expired);
            publish(s);
        }
        return Status::ok;
    }
    return write(s, key, h, link, u.value, u.expire_at, true);
}

bool Store::persist(std::string_view key) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    if (link)
        stamp(*link);
    if (!link || !(*link)->has_ttl())
        return false;
    retime(s, link, 0);
    publish(s);
    return true;
}

std::int64_t Store::pttl(std::string_view key) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    std::int64_t now = this->now();
    Entry* e = lookup(s, key, h, now);
    if (!e)
        return -2;
    return e->has_ttl() ? e->ttl()->expire_at - now : -1;
}

Status Store::incr_by(std::string_view key, std::int64_t delta, std::int64_t& result) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    Entry* e = link ? *link : nullptr;
    if (e)
        stamp(e); // used even when its value is refused, as in Redis
    if (e && e->is_hash())
        return Status::wrongtype;
    std::int64_t v = 0;
    if (e && !parse_int(e->value(), v))
        return Status::not_integer;
    if ((delta > 0 && v > std::numeric_limits<std::int64_t>::max() - delta) ||
        (delta < 0 && v < std::numeric_limits<std::int64_t>::min() - delta))
        return Status::overflow;
    result = v + delta;
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, result);
    std::int64_t at = e && e->has_ttl() ? e->ttl()->expire_at : 0;
    return write(s, key, h, link, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), at, true);
}

Status Store::append(std::string_view key, std::string_view data, std::size_t& new_len) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry** link = lookup_link(s, key, h, now());
    Entry* e = link ? *link : nullptr;
    if (e)
        stamp(e); // used even when its type is refused, as in Redis
    if (e && e->is_hash())
        return Status::wrongtype;
    // A copy: eviction in write() may free the entry the old value lives in.
    std::string value = e ? std::string(e->value()) : std::string();
    value += data;
    std::int64_t at = e && e->has_ttl() ? e->ttl()->expire_at : 0;
    Status st = write(s, key, h, link, value, at, true);
    if (st == Status::ok)
        new_len = value.size();
    return st;
}

std::size_t Store::strlen(std::string_view key) {
    std::uint64_t h = key_hash(key);
    Shard& s = shard_for(h);
    Guard lock(*this, s);
    Entry* e = lookup(s, key, h, now());
    return e && !e->is_hash() ? e->vlen : 0;
}

std::uint64_t Store::reverse_bits(std::uint64_t v) {
    std::uint64_t r = 0;
    for (int i = 0; i < 64; ++i, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

bool Store::random_key(std::string& key) {
    std::uint64_t r = static_cast<std::uint64_t>(monotonic_ms()) * 0x9E3779B97F4A7C15ull;
    for (unsigned tried = 0; tried < shard_count_; ++tried) {
        Shard& s = shards_[(r + tried) & (shard_count_ - 1)];
        Guard lock(*this, s);
        if (s.count == 0)
            continue;
        std::int64_t now = this->now();
        std::size_t n = 0;
        for (const Table& t : s.tables)
            n += t.buckets.size();
        for (std::size_t j = 0; j < n; ++j) {
            s.rng ^= s.rng << 13;
            s.rng ^= s.rng >> 7;
            s.rng ^= s.rng << 17;
            // The table from the top bits, the bucket from the low ones.
            const Table& t = s.tables[(s.rng >> 58) & (s.tables.size() - 1)];
            for (Entry* e = t.buckets[s.rng & (t.buckets.size() - 1)]; e; e = e->hnext)
                if (!expired(e, now)) {
                    key.assign(e->key());
                    return true;
                }
        }
    }
    return false;
}

std::uint64_t Store::size() const {
    std::uint64_t n = 0;
    for (unsigned i = 0; i < shard_count_; ++i)
        n += shards_[i].keys.load(std::memory_order_relaxed);
    return n;
}

void Store::flush() {
    for (unsigned i = 0; i < shard_count_; ++i) {
        Shard& s = shards_[i];
        Guard lock(*this, s);
        for (Table& t : s.tables)
            for (Entry* head : t.buckets)
                while (head) {
                    Entry* next = head->hnext;
                    // Key by key: writes to other shards go on meanwhile.
                    if (slot_keys_)
                        slot_keys_[cluster::key_slot(head->key())].fetch_sub(1, std::memory_order_relaxed);
                    destroy(head);
                    head = next;
                }
        reset_tables(s);
        std::vector<Entry*>().swap(s.ttl_entries);
        s.policy = make_policy(policy_, s.limit);
        s.count = 0;
        s.entry_bytes = 0;
        publish(s);
    }
}

template <class F>
void Store::walk_slot(unsigned slot, F&& f) {
    bool more = true;
    for (unsigned i = 0; i < shard_count_ && more; ++i)
        for_each(i, [&](std::string_view key, std::string_view, std::int64_t) {
            if (more && cluster::key_slot(key) == slot)
                more = f(key);
        });
}

std::uint64_t Store::keys_in_slot(unsigned slot) {
    if (slot_keys_)
        return slot_keys_[slot].load(std::memory_order_relaxed);
    std::uint64_t n = 0;
    walk_slot(slot, [&](std::string_view) { return ++n, true; });
    return n;
}

std::vector<std::string> Store::keys_of_slot(unsigned slot, std::size_t max) {
    std::vector<std::string> keys;
    if (max == 0 || (slot_keys_ && slot_keys_[slot].load(std::memory_order_relaxed) == 0))
        return keys;
    if (slot_keys_) {
        // The slot's keys are in one table of each shard, with the other slots of its group.
        for (unsigned i = 0; i < shard_count_; ++i) {
            Shard& s = shards_[i];
            Guard lock(*this, s);
            for (Entry* e : s.tables[slot >> (slot_bits - group_bits_)].buckets)
                for (; e; e = e->hnext)
                    if (cluster::key_slot(e->key()) == slot) {
                        keys.emplace_back(e->key());
                        if (keys.size() == max)
                            return keys;
                    }
        }
        return keys;
    }
    walk_slot(slot, [&](std::string_view key) {
        keys.emplace_back(key);
        return keys.size() < max;
    });
    return keys;
}

void Store::set_limit(std::size_t max_memory) {
    Lock all(*this);
    limit_ = max_memory;
    for (unsigned i = 0; i < shard_count_; ++i) {
        Shard& s = shards_[i];
        s.limit = max_memory / shard_count_;
        s.policy->set_limit(s.limit);
        bool evicted_none = false;
        evict_for(s, 0, nullptr, evicted_none);
        publish(s);
    }
}

bool Store::evict_to_limit() {
    if (policy_ != Policy::noeviction)
        for (unsigned i = 0; i < shard_count_; ++i) {
            Shard& s = shards_[i];
            Guard lock(*this, s);
            bool evicted_none = false;
            evict_for(s, 0, nullptr, evicted_none);
            publish(s);
        }
    return used_total_.load(std::memory_order_relaxed) > static_cast<std::int64_t>(limit_.load(std::memory_order_relaxed));
}

void Store::set_policy(Policy p) {
    Lock all(*this);
    policy_ = p;
    constexpr std::uint8_t policy_bits = entry_main | entry_visited | entry_freq_mask;
    for (unsigned i = 0; i < shard_count_; ++i) {
        Shard& s = shards_[i];
        s.policy = make_policy(p, s.limit);
        for (Table& t : s.tables)
            for (Entry* e : t.buckets)
                for (; e; e = e->hnext) {
                    e->flags = static_cast<std::uint8_t>(e->flags & ~policy_bits);
                    s.policy->inserted(e, key_hash(e->key()));
                }
        bool evicted_none = false;
        evict_for(s, 0, nullptr, evicted_none);
        publish(s);
    }
}

ExpireSample Store::expire_sample(unsigned shard, unsigned n) {
    Shard& s = shards_[shard];
    Guard lock(*this, s);
    ExpireSample r;
    std::int64_t now = this->now();
    for (; r.sampled < n && !s.ttl_entries.empty(); ++r.sampled) {
        // xorshift64: a cheap random pick; it only has to be unbiased enough for sampling.
        s.rng ^= s.rng << 13;
        s.rng ^= s.rng >> 7;
        s.rng ^= s.rng << 17;
        Entry* e = s.ttl_entries[s.rng % s.ttl_entries.size()];
        if (e->ttl()->expire_at > now)
            continue;
        unlink(s, find(s, e->key(), key_hash(e->key())));
        bump(s.expired);
        ++r.expired;
    }
    if (r.expired)
        publish(s);
    return r;
}

StoreStats Store::stats() const {
    StoreStats st;
    st.limit = limit_;
    st.used = static_cast<std::size_t>(std::max<std::int64_t>(0, used_total_.load(std::memory_order_relaxed)));
    for (unsigned i = 0; i < shard_count_; ++i) {
        const Shard& s = shards_[i];
        st.hits += s.hits.load(std::memory_order_relaxed);
        st.misses += s.misses.load(std::memory_order_relaxed);
        st.evictions += s.evictions.load(std::memory_order_relaxed);
        st.expired += s.expired.load(std::memory_order_relaxed);
        st.keys += s.keys.load(std::memory_order_relaxed);
        st.keys_with_ttl += s.keys_ttl.load(std::memory_order_relaxed);
    }
    return st;
}

} // namespace syskit::cachenode

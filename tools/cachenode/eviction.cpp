#include "eviction.hpp"

#include <bit>

namespace syskit::cachenode {

std::optional<Policy> parse_policy(std::string_view name) {
    if (name == "s3fifo")
        return Policy::s3fifo;
    if (name == "sieve")
        return Policy::sieve;
    if (name == "lru")
        return Policy::lru;
    if (name == "noeviction")
        return Policy::noeviction;
    return std::nullopt;
}

const char* policy_name(Policy p) {
    switch (p) {
    case Policy::s3fifo:
        return "s3fifo";
    case Policy::sieve:
        return "sieve";
    case Policy::lru:
        return "lru";
    case Policy::noeviction:
        return "noeviction";
    }
    return "?";
}

std::unique_ptr<EvictionPolicy> make_policy(Policy p, std::size_t limit) {
    switch (p) {
    case Policy::s3fifo:
        return std::make_unique<S3FifoPolicy>(limit);
    case Policy::sieve:
        return std::make_unique<SievePolicy>();
    case Policy::lru:
    case Policy::noeviction:
        break;
    }
    return std::make_unique<LruPolicy>();
}

// EntryList

void EntryList::push_front(Entry* e) {
    e->prev = nullptr;
    e->next = head;
    if (head)
        head->prev = e;
    else
        tail = e;
    head = e;
    bytes += e->charge();
    ++count;
}

void EntryList::remove(Entry* e) {
    (e->prev ? e->prev->next : head) = e->next;
    (e->next ? e->next->prev : tail) = e->prev;
    e->prev = e->next = nullptr;
    bytes -= e->charge();
    --count;
}

void EntryList::replace(Entry* old, Entry* fresh) {
    fresh->prev = old->prev;
    fresh->next = old->next;
    (old->prev ? old->prev->next : head) = fresh;
    (old->next ? old->next->prev : tail) = fresh;
    bytes += fresh->charge();
    bytes -= old->charge();
}

// LRU

void LruPolicy::accessed(Entry* e) {
    if (list_.head == e)
        return;
    list_.remove(e);
    list_.push_front(e);
}

// SIEVE

void SievePolicy::inserted(Entry* e, std::uint64_t) {
    e->flags &= ~entry_visited;
    list_.push_front(e);
}

void SievePolicy::replaced(Entry* old, Entry* fresh) {
    list_.replace(old, fresh);
    if (hand_ == old)
        hand_ = fresh;
}

void SievePolicy::removed(Entry* e) {
    if (hand_ == e)
        hand_ = e->prev;
    list_.remove(e);
}

Entry* SievePolicy::victim(std::uint64_t (*)(std::string_view)) {
    Entry* h = hand_ ? hand_ : list_.tail;
    // At most one pass clears every bit, so this ends within twice the list's length.
    while (h && (h->flags & entry_visited)) {
        h->flags &= ~entry_visited;
        h = h->prev ? h->prev : list_.tail;
    }
    hand_ = h;
    return h;
}

// Ghost

namespace {
// The low half of the hash: the high bits chose the shard, so they are the same for every key
// here.  Zero marks an empty slot.  A fingerprint's home slot is its own low bits, so the table
// can be rebuilt from fingerprints alone.
std::uint32_t fingerprint(std::uint64_t hash) {
    auto fp = static_cast<std::uint32_t>(hash);
    return fp ? fp : 1u;
}
} // namespace

bool Ghost::contains_and_remove(std::uint64_t hash) {
    if (slots_.empty())
        return false;
    std::uint32_t fp = fingerprint(hash);
    std::size_t mask = slots_.size() - 1;
    for (unsigned i = 0; i < probe; ++i) {
        std::uint64_t& s = slots_[(fp + i) & mask];
        if (s != 0 && static_cast<std::uint32_t>(s >> 32) == fp) {
            bool fresh = clock_ - static_cast<std::uint32_t>(s) < capacity_;
            s = 0;
            return fresh;
        }
    }
    return false;
}

void Ghost::insert(std::uint64_t hash) {
    if (slots_.empty())
        return;
    std::uint32_t fp = fingerprint(hash);
    ++clock_;
    std::size_t mask = slots_.size() - 1;
    std::uint64_t* target = nullptr;
    std::uint32_t oldest_age = 0;
    for (unsigned i = 0; i < probe; ++i) {
        std::uint64_t& s = slots_[(fp + i) & mask];
        if (s == 0 || static_cast<std::uint32_t>(s >> 32) == fp) {
            target = &s;
            break;
        }
        std::uint32_t age = clock_ - static_cast<std::uint32_t>(s);
        if (age >= capacity_) {
            target = &s;
            break;
        }
        if (!target || age > oldest_age) {
            target = &s;
            oldest_age = age;
        }
    }
    *target = (std::uint64_t{fp} << 32) | clock_;
}

void Ghost::set_capacity(std::size_t n) {
    capacity_ = n;
    if (slots_.size() >= 2 * n && !slots_.empty())
        return;
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(std::bit_ceil(std::max<std::size_t>(64, 2 * n)), 0);
    // Re-place what is still fresh, from its fingerprint's home slot in the larger table.
    std::size_t mask = slots_.size() - 1;
    for (std::uint64_t s : old) {
        if (s == 0 || clock_ - static_cast<std::uint32_t>(s) >= capacity_)
            continue;
        std::size_t start = static_cast<std::size_t>(s >> 32);
        for (unsigned i = 0; i < probe; ++i) {
            std::uint64_t& d = slots_[(start + i) & mask];
            if (d == 0) {
                d = s;
                break;
            }
        }
    }
}

// S3-FIFO

void S3FifoPolicy::inserted(Entry* e, std::uint64_t hash) {
    e->set_freq(0);
    if (ghost_.contains_and_remove(hash)) {
        e->flags |= entry_main;
        main_.push_front(e);
    } else {
        e->flags &= ~entry_main;
        small_.push_front(e);
    }
}

void S3FifoPolicy::accessed(Entry* e) {
    unsigned f = e->freq();
    if (f < 3)
        e->set_freq(f + 1);
}

void S3FifoPolicy::replaced(Entry* old, Entry* fresh) { queue_of(old).replace(old, fresh); }

void S3FifoPolicy::removed(Entry* e) { queue_of(e).remove(e); }

Entry* S3FifoPolicy::victim(std::uint64_t (*hash_of)(std::string_view)) {
    ghost_.set_capacity(main_.count);
    for (;;) {
        if (small_.count > 0 && (small_.bytes > limit_ / 10 || main_.count == 0)) {
            Entry* t = small_.tail;
            if (t->freq() >= 1) {
                small_.remove(t);
                t->set_freq(0);
                t->flags |= entry_main;
                main_.push_front(t);
                continue;
            }
            ghost_.insert(hash_of(t->key()));
            return t;
        }
        Entry* t = main_.tail;
        if (!t)
            return nullptr;
        if (unsigned f = t->freq(); f > 0) {
            t->set_freq(f - 1);
            main_.remove(t);
            main_.push_front(t);
            continue;
        }
        return t;
    }
}

} // namespace syskit::cachenode

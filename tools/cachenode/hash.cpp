#include "hash.hpp"

#include "entry.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <new>

namespace syskit::cachenode {

namespace {

constexpr std::size_t min_buckets = 4;
std::atomic<std::size_t> max_entries{128}, max_value{64};

std::uint64_t hash_field(std::string_view f) { return XXH3_64bits(f.data(), f.size()); }

} // namespace

Hash::Hash() : buckets_(min_buckets, nullptr), bytes_(Entry::charge(sizeof(Hash))) {}

Hash::~Hash() {
    for (Node* n : buckets_)
        while (n) {
            Node* next = n->next;
            ::operator delete(n);
            n = next;
        }
}

std::size_t Hash::node_charge(std::size_t flen, std::size_t vlen) {
    return Entry::charge(sizeof(Node) + flen + vlen);
}

std::uint64_t Hash::reverse_bits(std::uint64_t v) {
    std::uint64_t r = 0;
    for (int i = 0; i < 64; ++i, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

Hash::Node* Hash::make(std::string_view field, std::string_view value) {
    auto* n = static_cast<Node*>(::operator new(sizeof(Node) + field.size() + value.size()));
    n->next = nullptr;
    n->flen = static_cast<std::uint32_t>(field.size());
    n->vlen = static_cast<std::uint32_t>(value.size());
    if (!field.empty())
        std::memcpy(n->data(), field.data(), field.size());
    if (!value.empty())
        std::memcpy(n->data() + field.size(), value.data(), value.size());
    return n;
}

void Hash::become_big() {
    big_ = true;
    std::vector<Node*>().swap(order_);
}

Hash::Node** Hash::find(std::string_view field) const {
    auto** link = const_cast<Node**>(&buckets_[hash_field(field) & (buckets_.size() - 1)]);
    for (; *link; link = &(*link)->next)
        if ((*link)->field() == field)
            return link;
    return nullptr;
}

bool Hash::get(std::string_view field, std::string_view& value) const {
    Node** link = find(field);
    if (!link)
        return false;
    value = (*link)->value();
    return true;
}

std::size_t Hash::growth(std::size_t field_len, std::size_t value_len) {
    // Each table (buckets, and the order while small) holds up to two pointers per field.
    return node_charge(field_len, value_len) + 4 * sizeof(Node*);
}

bool Hash::set(std::string_view field, std::string_view value) {
    std::size_t longest = max_value.load(std::memory_order_relaxed);
    if (!big_ && (field.size() > longest || value.size() > longest))
        become_big();
    if (Node** link = find(field)) {
        Node* old = *link;
        if (old->vlen == value.size()) {
            if (!value.empty())
                std::memcpy(old->data() + old->flen, value.data(), value.size());
            return false;
        }
        Node* fresh = make(field, value);
        fresh->next = old->next;
        *link = fresh;
        if (!big_)
            *std::find(order_.begin(), order_.end(), old) = fresh;
        bytes_ += node_charge(field.size(), value.size());
        bytes_ -= node_charge(old->flen, old->vlen);
        ::operator delete(old);
        return false;
    }
    Node* n = make(field, value);
    Node*& head = buckets_[hash_field(field) & (buckets_.size() - 1)];
    n->next = head;
    head = n;
    ++count_;
    bytes_ += node_charge(field.size(), value.size());
    if (!big_ && count_ > max_entries.load(std::memory_order_relaxed))
        become_big();
    if (!big_)
        order_.push_back(n);
    if (count_ > buckets_.size())
        rehash(buckets_.size() * 2);
    return true;
}

bool Hash::erase(std::string_view field) {
    Node** link = find(field);
    if (!link)
        return false;
    Node* n = *link;
    *link = n->next;
    if (!big_) {
        order_.erase(std::find(order_.begin(), order_.end(), n));
        if (order_.size() < order_.capacity() / 4)
            order_.shrink_to_fit();
    }
    bytes_ -= node_charge(n->flen, n->vlen);
    ::operator delete(n);
    --count_;
    // Shrinks at an eighth full, as Redis's dict does at a tenth: a hash that was large once
    // does not keep its table.
    if (buckets_.size() > min_buckets && count_ < buckets_.size() / 8)
        rehash(std::max(min_buckets, std::bit_ceil(count_ * 2)));
    return true;
}

void Hash::rehash(std::size_t n) {
    std::vector<Node*> fresh(n, nullptr);
    for (Node* head : buckets_)
        while (head) {
            Node* next = head->next;
            Node*& to = fresh[hash_field(head->field()) & (n - 1)];
            head->next = to;
            to = head;
            head = next;
        }
    buckets_.swap(fresh);
}

void Hash::random(std::uint64_t& rng, std::string_view& field, std::string_view& value) const {
    auto next = [&] {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
    };
    if (!big_) {
        const Node* n = order_[next() % order_.size()];
        field = n->field();
        value = n->value();
        return;
    }
    // Every field equally likely: a random bucket and a random place among chain_slots, taken
    // only when a node is there (rejection sampling).  A chain is that long only in a table
    // that is full and unlucky, so few tries are needed, and bias is left only past its end.
    constexpr std::size_t chain_slots = 16;
    for (;;) {
        const Node* n = buckets_[next() & (buckets_.size() - 1)];
        for (std::size_t i = next() % chain_slots; n && i; --i)
            n = n->next;
        if (!n)
            continue;
        field = n->field();
        value = n->value();
        return;
    }
}

const char* Hash::encoding() const { return big_ ? "hashtable" : "listpack"; }

void Hash::set_listpack_limits(std::size_t entries, std::size_t value) {
    max_entries.store(entries, std::memory_order_relaxed);
    max_value.store(value, std::memory_order_relaxed);
}

std::size_t Hash::listpack_entries() { return max_entries.load(std::memory_order_relaxed); }
std::size_t Hash::listpack_value() { return max_value.load(std::memory_order_relaxed); }

} // namespace syskit::cachenode

// hash: the value of a Redis hash key: binary-safe fields and values in a chained hash table
// of power-of-two size, each field with its value in one allocation, its bytes counted as the
// store's memory limit counts them (Entry::charge).  A hash small enough that Redis would keep
// it as a listpack also keeps its fields in insertion order, so HGETALL, HKEYS and HSCAN list
// them in the order Redis lists them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace syskit::cachenode {

class Hash {
public:
    Hash();
    ~Hash();
    Hash(const Hash&) = delete;
    Hash& operator=(const Hash&) = delete;

    /// Number of fields.
    std::size_t size() const { return count_; }
    /// Sets value to field's value (valid until the next change) and returns true, or false
    /// when the field is absent.
    bool get(std::string_view field, std::string_view& value) const;
    /// Sets field to value; true when the field is new.
    bool set(std::string_view field, std::string_view value);
    /// Removes field; false when it was absent.
    bool erase(std::string_view field);
    /// Bytes the table and its fields hold in the heap, as the memory limit counts them.
    std::size_t bytes() const { return bytes_ + (buckets_.capacity() + order_.capacity()) * sizeof(Node*); }
    /// About what bytes() grows by when a field of these sizes is set: its node and its share
    /// of a table that doubles as it fills.
    static std::size_t growth(std::size_t field_len, std::size_t value_len);

    /// Calls f(field, value) for every field: in insertion order while encoding() is
    /// "listpack".
    template <class F>
    void for_each(F&& f) const {
        if (!big_) {
            for (const Node* n : order_)
                f(n->field(), n->value());
            return;
        }
        for (const Node* n : buckets_)
            for (; n; n = n->next)
                f(n->field(), n->value());
    }
    /// One step of HSCAN from cursor (0: the start): calls f(field, value) for the fields of a
    /// few buckets, at least count unless the scan ends, and returns the next cursor (0: over).
    /// Buckets are visited in reverse binary order, as Redis's SCAN does, so a field present
    /// for the whole scan is returned at least once even when the table grows or shrinks.
    /// While encoding() is "listpack" every field comes in one step, in order, as Redis sends
    /// a listpack whole.
    template <class F>
    std::uint64_t scan(std::uint64_t cursor, std::size_t count, F&& f) const {
        if (!big_) {
            for_each(f);
            return 0;
        }
        std::size_t seen = 0;
        std::uint64_t mask = buckets_.size() - 1;
        do {
            for (const Node* n = buckets_[cursor & mask]; n; n = n->next, ++seen)
                f(n->field(), n->value());
            cursor |= ~mask;
            cursor = reverse_bits(reverse_bits(cursor) + 1);
        } while (cursor != 0 && seen < count);
        return cursor;
    }
    /// A field chosen at random with rng (xorshift state), and its value.  The hash must not
    /// be empty.
    void random(std::uint64_t& rng, std::string_view& field, std::string_view& value) const;

    /// What Redis would call this hash's encoding: "listpack" until it has had more fields, or
    /// a longer field or value, than the listpack limits allowed when they were set (128 and 64
    /// bytes), "hashtable" from then on.
    const char* encoding() const;
    /// hash-max-listpack-entries and hash-max-listpack-value, for every hash from now on.
    static void set_listpack_limits(std::size_t entries, std::size_t value);
    static std::size_t listpack_entries();
    static std::size_t listpack_value();

private:
    struct Node {
        Node* next;
        std::uint32_t flen, vlen;
        char* data() { return reinterpret_cast<char*>(this + 1); }
        const char* data() const { return reinterpret_cast<const char*>(this + 1); }
        std::string_view field() const { return {data(), flen}; }
        std::string_view value() const { return {data() + flen, vlen}; }
    };
    static Node* make(std::string_view field, std::string_view value);
    static std::size_t node_charge(std::size_t flen, std::size_t vlen);
    static std::uint64_t reverse_bits(std::uint64_t v);
    Node** find(std::string_view field) const;
    void rehash(std::size_t buckets);
    /// Past the listpack limits: the order is no longer kept.
    void become_big();

    std::vector<Node*> buckets_;
    /// The fields in insertion order while !big_; empty after.
    std::vector<Node*> order_;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0; ///< the nodes and the object itself; bytes() adds the tables
    bool big_ = false; ///< past Redis's listpack limits once (for encoding())
};

} // namespace syskit::cachenode

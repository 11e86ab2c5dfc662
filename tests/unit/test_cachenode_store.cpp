// cachenode's storage: binary-safe keys, TTLs (lazy and active expiry), memory accounting,
// eviction policies and noeviction.
#include "cachenode/eviction.hpp"
#include "cachenode/expire.hpp"
#include "cachenode/slots.hpp"
#include "cachenode/store.hpp"
#include "cachenode_store_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace syskit::cachenode;
using namespace syskit::cachenode::store_fixture;

namespace {

std::string get(Store& s, std::string_view key) {
    std::string v = "<missing>";
    s.get(key, [&](std::string_view value) { v = value; });
    return v;
}

} // namespace

TEST_CASE("store: set, get, del, exists with binary keys and values") {
    Store s(config());
    std::string key("k\0\xff\r\n", 5), value("v\0\0\x80", 4);
    CHECK(s.set(key, value) == Status::ok);
    CHECK(get(s, key) == value);
    CHECK(get(s, "k") == "<missing>");
    CHECK(s.exists(key));
    CHECK(s.size() == 1);
    CHECK(s.set(key, "") == Status::ok);
    CHECK(get(s, key).empty());
    CHECK(s.del(key));
    CHECK_FALSE(s.del(key));
    CHECK_FALSE(s.exists(key));
    CHECK(s.size() == 0);
    auto st = s.stats();
    CHECK(st.hits == 2);
    CHECK(st.misses == 1);
}

TEST_CASE("store: many keys grow the tables and stay reachable") {
    // With the slot index, a table that doubles moves the tables after it in the shard's
    // bucket array, and the array itself is reallocated now and then.
    for (bool indexed : {false, true}) {
        CAPTURE(indexed);
        StoreConfig c = config();
        c.slot_index = indexed;
        Store s(c);
        for (int i = 0; i < 20000; ++i)
            REQUIRE(s.set(name("key:", i), std::to_string(i * 7)) == Status::ok);
        CHECK(s.size() == 20000);
        for (int i = 0; i < 20000; ++i)
            REQUIRE(get(s, name("key:", i)) == std::to_string(i * 7));
        s.flush();
        CHECK(s.size() == 0);
        CHECK(get(s, "key:1") == "<missing>");
        REQUIRE(s.set("key:1", "again") == Status::ok);
        CHECK(get(s, "key:1") == "again");
    }
}

TEST_CASE("store: SET NX, XX and KEEPTTL") {
    g_now = 1000;
    Store s(config());
    SetArgs nx{SetArgs::Cond::nx, 0, false}, xx{SetArgs::Cond::xx, 0, false};
    CHECK(s.set("a", "1", xx) == Status::condition);
    CHECK(s.set("a", "1", nx) == Status::ok);
    CHECK(s.set("a", "2", nx) == Status::condition);
    CHECK(s.set("a", "3", xx) == Status::ok);
    CHECK(get(s, "a") == "3");
    CHECK(s.set("a", "4", SetArgs{SetArgs::Cond::always, 6000, false}) == Status::ok);
    CHECK(s.pttl("a") == 5000);
    CHECK(s.set("a", "five", SetArgs{SetArgs::Cond::always, 0, true}) == Status::ok);
    CHECK(s.pttl("a") == 5000);
    CHECK(s.set("a", "6") == Status::ok); // a plain SET drops the TTL
    CHECK(s.pttl("a") == -1);
}

TEST_CASE("store: TTLs expire lazily, and EXPIRE, PERSIST, PTTL") {
    g_now = 1000;
    Store s(config());
    CHECK(s.pttl("none") == -2);
    CHECK(s.expire_at("none", 5000) == Status::not_found);
    s.set("k", "v");
    CHECK(s.pttl("k") == -1);
    CHECK_FALSE(s.persist("k"));
    CHECK(s.expire_at("k", 3000) == Status::ok);
    CHECK(s.pttl("k") == 2000);
    CHECK(s.stats().keys_with_ttl == 1);
    CHECK(s.persist("k"));
    CHECK(s.pttl("k") == -1);
    CHECK(s.stats().keys_with_ttl == 0);
    CHECK(s.expire_at("k", 3000) == Status::ok);
    g_now = 2999;
    CHECK(get(s, "k") == "v");
    g_now = 3000;
    CHECK(get(s, "k") == "<missing>");
    CHECK(s.size() == 0);
    CHECK(s.stats().expired == 1);
    s.set("k", "v");
    CHECK(s.expire_at("k", g_now - 1) == Status::ok); // a time in the past deletes, as EXPIRE -1 does
    CHECK_FALSE(s.exists("k"));
}

TEST_CASE("store: a TimeScope serves a batch at one instant") {
    g_now = 1000;
    Store s(config());
    s.set("k", "v", SetArgs{SetArgs::Cond::always, 1500, false});
    {
        Store::TimeScope at(s, std::chrono::steady_clock::now()); // asks the test clock: 1000
        g_now = 2000;
        CHECK(s.now() == 1000);
        CHECK(get(s, "k") == "v"); // expired by the clock, not at the batch's instant
        CHECK(s.pttl("k") == 500);
        Store other(config());
        CHECK(other.now() == 2000); // only the scope's store
    }
    CHECK(s.now() == 2000);
    CHECK(get(s, "k") == "<missing>");

    // The real clock: the scope's time is steady_clock's, in the store's milliseconds.
    StoreConfig real = config();
    real.clock = monotonic_ms;
    Store r(real);
    auto at = std::chrono::steady_clock::now() - std::chrono::seconds(5);
    Store::TimeScope scope(r, at);
    CHECK(r.now() == std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count());
    CHECK(monotonic_ms() - r.now() >= 5000);
}

TEST_CASE("store: active expiry deletes keys nobody reads, and only expired ones") {
    g_now = 1000;
    Store s(config(Policy::sieve, std::size_t{64} << 20, 8));
    for (int i = 0; i < 5000; ++i)
        s.set(name("t", i), "x", SetArgs{SetArgs::Cond::always, 2000, false});
    for (int i = 0; i < 1000; ++i)
        s.set(name("p", i), "x");
    for (int i = 0; i < 100; ++i)
        s.set(name("later", i), "x", SetArgs{SetArgs::Cond::always, 100000, false});
    ActiveExpiry active(s);
    CHECK(active.cycle(std::chrono::seconds(5)) == 0);
    g_now = 2000;
    std::uint64_t deleted = 0;
    for (int i = 0; i < 50 && deleted < 5000; ++i)
        deleted += active.cycle(std::chrono::seconds(5));
    // Sampling stops on a shard once few of a sample have expired, so a few may be left for
    // the next cycles or for lazy expiry; most must be gone.
    CHECK(deleted >= 4500);
    CHECK(deleted <= 5000);
    CHECK(s.size() == 1100 + (5000 - deleted));
    CHECK(s.exists("p7"));
    CHECK(s.exists("later7"));
}

TEST_CASE("store: INCR family, APPEND, STRLEN") {
    g_now = 1000;
    Store s(config());
    std::int64_t r = 0;
    CHECK(s.incr_by("n", 1, r) == Status::ok);
    CHECK(r == 1);
    CHECK(s.incr_by("n", -11, r) == Status::ok);
    CHECK(r == -10);
    CHECK(get(s, "n") == "-10");
    s.set("big", "9223372036854775807");
    CHECK(s.incr_by("big", 1, r) == Status::overflow);
    s.set("neg", "-9223372036854775808");
    CHECK(s.incr_by("neg", -1, r) == Status::overflow);
    for (const char* bad : {"abc", " 1", "01", "+1", "1.5", "", "99999999999999999999"}) {
        s.set("bad", bad);
        CHECK_MESSAGE(s.incr_by("bad", 1, r) == Status::not_integer, bad);
    }
    s.set("t", "5", SetArgs{SetArgs::Cond::always, 9000, false});
    CHECK(s.incr_by("t", 5, r) == Status::ok);
    CHECK(s.pttl("t") == 8000); // INCR keeps the TTL
    std::size_t len = 0;
    CHECK(s.append("s", std::string("ab\0", 3), len) == Status::ok);
    CHECK(len == 3);
    CHECK(s.append("s", "cd", len) == Status::ok);
    CHECK(len == 5);
    CHECK(get(s, "s") == std::string("ab\0cd", 5));
    CHECK(s.strlen("s") == 5);
    CHECK(s.strlen("missing") == 0);
}

TEST_CASE("store: MSET sets every pair") {
    Store s(config());
    std::vector<std::string_view> kv{"a", "1", "b", "2", "c", "3", "a", "4"};
    CHECK(s.mset(kv) == Status::ok);
    CHECK(get(s, "a") == "4");
    CHECK(get(s, "b") == "2");
    CHECK(s.size() == 3);
}

TEST_CASE("store: memory is accounted in bytes and comes back") {
    Store s(config(Policy::sieve, std::size_t{64} << 20, 1));
    std::size_t empty = s.stats().used;
    s.set("key", std::string(1000, 'x'));
    std::size_t one = s.stats().used;
    CHECK(one - empty == Entry::charge(Entry::alloc_size(3, 1000, false)));
    s.set("key", std::string(5000, 'x'));
    CHECK(s.stats().used - empty == Entry::charge(Entry::alloc_size(3, 5000, false)));
    s.del("key");
    CHECK(s.stats().used == empty);
}

TEST_CASE("store: a full cache evicts and stays within its limit") {
    for (Policy p : {Policy::sieve, Policy::s3fifo, Policy::lru}) {
        CAPTURE(policy_name(p));
        std::size_t limit = 1 << 20;
        Store s(config(p, limit, 4));
        std::string value(1000, 'v');
        for (int i = 0; i < 5000; ++i)
            REQUIRE(s.set(name("k", i), value) == Status::ok);
        auto st = s.stats();
        CHECK(st.used <= limit);
        CHECK(st.evictions > 0);
        CHECK(st.keys + st.evictions == 5000);
        CHECK(st.keys > 500); // most of the memory holds entries
        CHECK(get(s, "k4999") == value);
    }
}

TEST_CASE("store: noeviction refuses writes when full, and accepts them again after a delete") {
    std::size_t limit = 64 << 10;
    Store s(config(Policy::noeviction, limit, 1));
    std::string value(1000, 'v');
    int stored = 0;
    while (s.set(name("k", stored), value) == Status::ok)
        ++stored;
    CHECK(stored > 30);
    CHECK(s.stats().evictions == 0);
    CHECK(s.stats().used <= limit);
    CHECK(s.set("one-more", value) == Status::oom);
    CHECK(s.set("k0", "small") == Status::ok); // a smaller value for a key fits
    CHECK(s.del("k1"));
    CHECK(s.set("one-more", value) == Status::ok);
    CHECK(s.set("huge", std::string(limit, 'x')) == Status::oom);
}

TEST_CASE("eviction: LRU evicts the least recently used") {
    Store s(config(Policy::lru, 1 << 20, 1));
    std::size_t per = Entry::charge(Entry::alloc_size(2, 10000, false));
    int fit = static_cast<int>((1 << 20) / per) - 2;
    for (int i = 0; i < fit; ++i)
        s.set(name("k", i % 10) + std::to_string(i / 10), std::string(10000, 'x'));
    CHECK(s.stats().evictions == 0);
    get(s, "k00"); // k00 was first in; now it is the most recent
    for (int i = 0; i < 10; ++i)
        s.set(name("new", i), std::string(10000, 'x'));
    CHECK(s.stats().evictions >= 5);
    CHECK(s.exists("k00"));
    CHECK_FALSE(s.exists("k10")); // the next oldest went
}

TEST_CASE("eviction: SIEVE keeps visited entries and evicts unvisited ones") {
    Store s(config(Policy::sieve, 1 << 20, 1));
    std::string v(10000, 'x');
    int fit = static_cast<int>((1 << 20) / Entry::charge(Entry::alloc_size(3, 10000, false))) - 2;
    for (int i = 0; i < fit; ++i)
        s.set(name("k", 100 + i), v);
    for (int i = 0; i < fit; i += 2)
        get(s, name("k", 100 + i)); // visit the even ones
    for (int i = 0; i < 20; ++i)
        s.set(name("n", 100 + i), v);
    std::uint64_t evicted = s.stats().evictions;
    CHECK(evicted >= 10);
    int even_lost = 0;
    for (int i = 0; i < fit; i += 2)
        even_lost += !s.exists(name("k", 100 + i));
    CHECK(even_lost == 0);
}

TEST_CASE("eviction: S3-FIFO evicts one-hit wonders before entries hit twice") {
    Store s(config(Policy::s3fifo, 1 << 20, 1));
    std::string v(10000, 'x');
    // Hot keys, read right after they are written, move from the small queue to main.
    for (int i = 0; i < 20; ++i) {
        s.set(name("hot", i), v);
        get(s, name("hot", i));
    }
    // A scan of keys seen once pushes everything through the small queue.
    for (int i = 0; i < 300; ++i)
        s.set(name("scan", i), v);
    int hot_left = 0;
    for (int i = 0; i < 20; ++i)
        hot_left += s.exists(name("hot", i));
    CHECK(hot_left == 20);
    CHECK(s.stats().evictions > 200);
}

TEST_CASE("eviction: S3-FIFO's ghost remembers evicted keys for a while") {
    Ghost g;
    g.set_capacity(4);
    g.insert(0x1111);
    CHECK(g.contains_and_remove(0x1111));
    CHECK_FALSE(g.contains_and_remove(0x1111));
    g.insert(0x2222);
    for (std::uint64_t h = 1; h <= 4; ++h)
        g.insert(h << 40 | h);
    CHECK_FALSE(g.contains_and_remove(0x2222)); // four insertions later, it has aged out
    g.insert(0x3333);
    g.set_capacity(1000); // growing keeps what is there
    CHECK(g.contains_and_remove(0x3333));
}

TEST_CASE("eviction: policy names") {
    CHECK(parse_policy("sieve") == Policy::sieve);
    CHECK(parse_policy("lru") == Policy::lru);
    CHECK(parse_policy("noeviction") == Policy::noeviction);
    CHECK(parse_policy("s3fifo") == Policy::s3fifo);
    CHECK_FALSE(parse_policy("LRU").has_value());
    CHECK(std::string(policy_name(Policy::sieve)) == "sieve");
}

TEST_CASE("store: keys by Redis Cluster slot, with the slot index and without") {
    for (bool indexed : {true, false}) {
        CAPTURE(indexed);
        StoreConfig c = config();
        c.slot_index = indexed;
        Store s(c);
        // {a} and {b} hash tags: slots 15495 and 3300, whatever follows them.
        for (int i = 0; i < 50; ++i) {
            REQUIRE(s.set(name("{a}", i), "v") == Status::ok);
            REQUIRE(s.set(name("{b}", i), "v") == Status::ok);
        }
        CHECK(s.set("{a}0", "again") == Status::ok); // a write to a present key adds nothing
        CHECK(s.keys_in_slot(15495) == 50);
        CHECK(s.keys_in_slot(3300) == 50);
        CHECK(s.keys_in_slot(0) == 0);
        CHECK(s.del("{a}7"));
        CHECK(s.keys_in_slot(15495) == 49);
        auto keys = s.keys_of_slot(15495, 10);
        CHECK(keys.size() == 10);
        for (const auto& key : keys)
            CHECK(key.rfind("{a}", 0) == 0);
        CHECK(s.keys_of_slot(15495, 1000).size() == 49);
        CHECK(s.keys_of_slot(15495, 0).empty());
        s.flush();
        CHECK(s.keys_in_slot(15495) == 0);
        CHECK(s.keys_of_slot(3300, 10).empty());
    }
}

TEST_CASE("store: keys by slot stay exact while other threads write and the tables grow") {
    StoreConfig c = config();
    c.slot_index = true;
    Store s(c);
    // Slot 15495's keys ({a}) stay put while two threads add and delete keys of other slots
    // (their tables doubling many times over) and overwrite and re-time {a} keys.  A writer's
    // key that happens to hash to slot 15495 is left out: it would change the count checked.
    for (int i = 0; i < 200; ++i)
        REQUIRE(s.set(name("{a}", i), "v") == Status::ok);
    std::atomic<bool> stop{false};
    auto writer = [&](int id) {
        auto other = [&](int n) {
            std::string key = name(id ? "y" : "x", n);
            return cluster::key_slot(key) == 15495 ? std::string() : key;
        };
        for (int round = 0; !stop.load(); ++round) {
            for (int i = 0; i < 2000; ++i)
                if (auto key = other(round * 2000 + i); !key.empty())
                    s.set(key, "value");
            for (int i = 0; i < 2000; ++i)
                if (auto key = other(round * 2000 + i); !key.empty())
                    s.del(key);
            s.set(name("{a}", round % 200), "rewritten");
            s.expire_at(name("{a}", (round + 1) % 200), g_now + 100000);
        }
    };
    std::thread t1(writer, 0), t2(writer, 1);
    for (int check = 0; check < 200; ++check) {
        CHECK(s.keys_in_slot(15495) == 200);
        auto keys = s.keys_of_slot(15495, 1000);
        std::sort(keys.begin(), keys.end());
        CHECK(keys.size() == 200);
        CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
        for (const auto& key : keys)
            CHECK(key.rfind("{a}", 0) == 0);
    }
    stop = true;
    t1.join();
    t2.join();
    // Every key is counted in its slot, and nothing else: the counts add up to the keys.
    std::uint64_t total = 0;
    for (unsigned slot = 0; slot < 16384; ++slot)
        total += s.keys_in_slot(slot);
    CHECK(total == s.size());
    CHECK(s.keys_of_slot(15495, 1000).size() == 200);
    // SCAN still sees every key once through the split tables.
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    do
        cursor = s.scan(cursor, 10, [&](std::string_view k, Type) { seen.emplace(k); });
    while (cursor != 0);
    CHECK(seen.size() == s.size());
}

namespace {

/// What s's tables and buckets have grown by since it held `empty` bytes: its memory less the
/// charges of the keys key:0 .. key:(n-1).
std::size_t table_growth(Store& s, std::size_t empty, int n) {
    std::size_t entries = 0;
    for (int i = 0; i < n; ++i)
        entries += s.memory_usage(name("key:", i));
    return s.stats().used - empty - entries;
}

} // namespace

TEST_CASE("store: with the slot index, a shard's buckets follow its keys, not a power of two per table") {
    // One shard, its keys spread over the 64 tables.  Were each table to round up to a power
    // of two on its own, these counts would take 11 to 13 bytes of buckets a key (47, 312 and
    // 625 keys a table: 64, 512 and 1024 buckets); the shard's count decides instead: one
    // bucket a key, a growth step and the array's spare 16th more.
    for (int n : {3000, 20000, 40000}) {
        CAPTURE(n);
        StoreConfig c = config(Policy::sieve, std::size_t{64} << 20, 1);
        c.slot_index = true;
        Store s(c);
        std::size_t empty = s.stats().used;
        for (int i = 0; i < n; ++i)
            REQUIRE(s.set(name("key:", i), "v") == Status::ok);
        std::size_t grown = table_growth(s, empty, n);
        CHECK(grown >= n * sizeof(Entry*) * 95 / 100);
        CHECK(grown <= n * sizeof(Entry*) * 110 / 100);
    }
}

TEST_CASE("store: with the slot index, keys crowded into one slot still get their own buckets") {
    // 20,000 keys in slot 15495 ({a}) and one in each of 63 other tables: the crowded table
    // grows as a lone one would, without a bucket array for the others' sake.
    StoreConfig c = config(Policy::sieve, std::size_t{64} << 20, 1);
    c.slot_index = true;
    Store s(c);
    std::size_t empty = s.stats().used;
    std::vector<std::string> others;
    for (unsigned slot = 0; slot < 16384; slot += 256)
        if (slot >> 8 != 15495 >> 8)
            for (int i = 0;; ++i)
                if (std::string key = name("o", i); cluster::key_slot(key) >> 8 == slot >> 8) {
                    REQUIRE(s.set(key, "v") == Status::ok);
                    others.push_back(key);
                    break;
                }
    CHECK(others.size() == 63);
    for (int i = 0; i < 20000; ++i)
        REQUIRE(s.set(name("{a}", i), "v") == Status::ok);
    CHECK(s.keys_in_slot(15495) == 20000);
    CHECK(s.keys_of_slot(15495, 100000).size() == 20000);
    for (int i = 0; i < 20000; ++i)
        REQUIRE(s.exists(name("{a}", i)));
    std::size_t entries = 0;
    for (const auto& key : others)
        entries += s.memory_usage(key);
    for (int i = 0; i < 20000; ++i)
        entries += s.memory_usage(name("{a}", i));
    // 32,768 buckets (20,000 keys, doubled at 16,384 as one table would be) and the others'
    // 63, with at most an eighth to spare.
    CHECK(s.stats().used - empty - entries <= (32768 + 63) * sizeof(Entry*) * 9 / 8);
}

TEST_CASE("store: a scan returns every key present throughout while the slot tables grow and move") {
    StoreConfig c = config();
    c.slot_index = true;
    Store s(c);
    for (int i = 0; i < 3000; ++i)
        REQUIRE(s.set(name("key:", i), "v") == Status::ok);
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    int added = 0;
    do {
        cursor = s.scan(cursor, 20, [&](std::string_view k, Type) { seen.emplace(k); });
        // Keys added between steps double tables, moving the tables after them.
        for (int j = 0; j < 40; ++j, ++added)
            REQUIRE(s.set(name("new:", added), "v") == Status::ok);
    } while (cursor != 0);
    CHECK(added > 3000);
    for (int i = 0; i < 3000; ++i)
        REQUIRE(seen.count(name("key:", i)) == 1);
}

// cachenode's hashes: the field table (hash.hpp) and hash keys in the store: types, memory
// accounting, eviction as one key, copies in and out.
#include "cachenode/hash.hpp"
#include "cachenode/store.hpp"
#include "cachenode_store_fixture.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace syskit::cachenode;
using namespace syskit::cachenode::store_fixture;

TEST_CASE("hash: set, get, erase, binary fields, bytes back to an empty table's") {
    Hash h;
    std::size_t empty = h.bytes();
    std::string field("f\0\xff", 3);
    CHECK(h.set(field, "v1"));
    CHECK_FALSE(h.set(field, "value two"));
    std::string_view v;
    REQUIRE(h.get(field, v));
    CHECK(v == "value two");
    CHECK_FALSE(h.get("f", v));
    for (int i = 0; i < 1000; ++i)
        CHECK(h.set(name("k", i), name("v", i)));
    CHECK(h.size() == 1001);
    CHECK(std::string_view(h.encoding()) == "hashtable");
    for (int i = 0; i < 1000; ++i)
        CHECK(h.erase(name("k", i)));
    CHECK(h.erase(field));
    CHECK_FALSE(h.erase(field));
    CHECK(h.size() == 0);
    CHECK(h.bytes() == empty);
}

TEST_CASE("hash: a scan returns every field present throughout, while the table grows and shrinks") {
    Hash h;
    for (int i = 0; i < 100; ++i)
        h.set(name("keep", i), "x");
    std::set<std::string> seen;
    std::uint64_t cursor = 0;
    int step = 0;
    do {
        cursor = h.scan(cursor, 5, [&](std::string_view f, std::string_view) { seen.emplace(f); });
        // Grow, then shrink, the table between steps.
        if (step == 3)
            for (int i = 0; i < 2000; ++i)
                h.set(name("tmp", i), "y");
        if (step == 20)
            for (int i = 0; i < 2000; ++i)
                h.erase(name("tmp", i));
        ++step;
    } while (cursor != 0);
    for (int i = 0; i < 100; ++i)
        CHECK(seen.count(name("keep", i)) == 1);
}

TEST_CASE("hash: a small hash lists its fields in insertion order, as Redis's listpack does") {
    Hash h;
    for (int i = 0; i < 20; ++i)
        h.set(name("f", i), "v");
    h.set("f3", "a longer value than before");
    h.erase("f7");
    h.set("f7", "back");
    std::vector<std::string> want;
    for (int i = 0; i < 20; ++i)
        if (i != 7)
            want.push_back(name("f", i));
    want.emplace_back("f7");
    std::vector<std::string> listed, scanned;
    h.for_each([&](std::string_view f, std::string_view) { listed.emplace_back(f); });
    CHECK(listed == want);
    // One step from any cursor gives all of it and ends the scan.
    CHECK(h.scan(12345, 1, [&](std::string_view f, std::string_view) { scanned.emplace_back(f); }) == 0);
    CHECK(scanned == want);
    std::string_view v;
    REQUIRE(h.get("f3", v));
    CHECK(v == "a longer value than before");
    CHECK(std::string_view(h.encoding()) == "listpack");
    for (int i = 20; i < 200; ++i)
        h.set(name("f", i), "v");
    CHECK(std::string_view(h.encoding()) == "hashtable");
    std::size_t n = 0;
    h.for_each([&](std::string_view, std::string_view) { ++n; });
    CHECK(n == 200);
}

TEST_CASE("hash: random fields come from the hash") {
    Hash h;
    h.set("a", "1");
    h.set("b", "2");
    std::uint64_t rng = 12345;
    std::set<std::string> got;
    for (int i = 0; i < 100; ++i) {
        std::string_view f, v;
        h.random(rng, f, v);
        CHECK(((f == "a" && v == "1") || (f == "b" && v == "2")));
        got.emplace(f);
    }
    CHECK(got.size() == 2);
}

TEST_CASE("store: hash keys, wrong types, empty hashes deleted, memory counted") {
    Store s(config(Policy::sieve, std::size_t{64} << 20, 1));
    // The shard's list of keys with a TTL keeps its capacity: made once before the baseline.
    s.set("warm", "x", {SetArgs::Cond::always, g_now + 1, false});
    s.del("warm");
    std::size_t base = s.stats().used;
    CHECK(s.modify_hash("h", Hash::growth(1, 1), true, [](Hash& h) { h.set("f", "v"); }) == Status::ok);
    Type t{};
    REQUIRE(s.type_of("h", t));
    CHECK(t == Type::hash);
    CHECK(s.read("h", [](std::string_view) {}) == Status::wrongtype);
    CHECK_FALSE(s.get("h", [](std::string_view) {}));
    std::int64_t n = 0;
    CHECK(s.incr_by("h", 1, n) == Status::wrongtype);
    CHECK(s.set("str", "x") == Status::ok);
    CHECK(s.modify_hash("str", 0, true, [](Hash&) {}) == Status::wrongtype);
    CHECK(s.read_hash("nope", [](const Hash&) {}) == Status::not_found);
    std::size_t one = s.stats().used;
    CHECK(s.modify_hash("h", Hash::growth(8, 1000), true, [](Hash& h) { h.set("big", std::string(1000, 'x')); }) ==
          Status::ok);
    CHECK(s.stats().used >= one + 1000);
    CHECK(s.expire_at("h", g_now + 10000) == Status::ok);
    CHECK(s.pttl("h") == 10000);
    CHECK(s.modify_hash("h", 0, false, [](Hash& h) {
        h.erase("f");
        h.erase("big");
    }) == Status::ok);
    CHECK_FALSE(s.exists("h"));
    CHECK(s.del("str"));
    CHECK(s.stats().used == base);
}

TEST_CASE("store: snapshot and put copy a hash with its deadline; SET replaces a hash") {
    Store s(config(Policy::lru, std::size_t{64} << 20, 1));
    s.modify_hash("h", 1000, true, [](Hash& h) {
        h.set("a", "1");
        h.set("b", "2");
    });
    s.expire_at("h", g_now + 5000);
    Value v;
    std::int64_t at = 0;
    REQUIRE(s.snapshot("h", v, at));
    CHECK(v.type == Type::hash);
    CHECK(v.fields.size() == 2);
    CHECK(at == g_now + 5000);
    CHECK(s.put("copy", v, at) == Status::ok);
    std::string got;
    CHECK(s.read_hash("copy", [&](const Hash& h) {
        std::string_view x;
        h.get("b", x);
        got = x;
    }) == Status::ok);
    CHECK(got == "2");
    CHECK(s.pttl("copy") == 5000);
    CHECK(s.persist("copy"));
    CHECK(s.read_hash("copy", [&](const Hash& h) { CHECK(h.size() == 2); }) == Status::ok);
    CHECK(s.set("copy", "str") == Status::ok);
    Type t{};
    REQUIRE(s.type_of("copy", t));
    CHECK(t == Type::string);
}

TEST_CASE("store: a hash is evicted as one key, and the limit holds while hashes grow") {
    std::size_t limit = 256 * 1024;
    Store s(config(Policy::s3fifo, limit, 1));
    std::string value(200, 'v');
    for (int k = 0; k < 40; ++k)
        for (int f = 0; f < 100; ++f) {
            Status st = s.modify_hash(name("h", k), Hash::growth(8, value.size()), true,
                                      [&](Hash& h) { h.set(name("f", f), value); });
            REQUIRE(st == Status::ok);
            CHECK(s.stats().used <= limit + 2048);
        }
    auto st = s.stats();
    CHECK(st.evictions > 0);
    CHECK(st.keys < 40);
    // What is left is whole hashes: every one that remains has its last fields.
    int whole = 0;
    for (int k = 0; k < 40; ++k)
        s.read_hash(name("h", k), [&](const Hash& h) {
            std::string_view x;
            whole += h.get("f99", x);
        });
    CHECK(whole == static_cast<int>(st.keys));
}

TEST_CASE("store: noeviction refuses a hash's growth past the limit, and its deletion still runs") {
    Store s(config(Policy::noeviction, 64 * 1024, 1));
    std::string value(1000, 'v');
    Status st = Status::ok;
    int f = 0;
    while (st == Status::ok && f < 1000)
        st = s.modify_hash("h", Hash::growth(8, value.size()), true, [&](Hash& h) { h.set(name("f", f++), value); });
    CHECK(st == Status::oom);
    CHECK(s.modify_hash("h", 0, false, [](Hash& h) { h.erase("f0"); }) == Status::ok);
}

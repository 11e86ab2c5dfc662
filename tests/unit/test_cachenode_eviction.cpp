// cachenode's LRU clock and each key's access time (OBJECT IDLETIME): what sets it, what
// leaves it alone, and that it shares the entry with the key and value without harm.
#include "cachenode/eviction.hpp"
#include "cachenode/store.hpp"
#include "cachenode_store_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::cachenode;
using namespace syskit::cachenode::store_fixture;

namespace {

std::uint32_t idle_of(Store& s, std::string_view key) {
    std::uint32_t seconds = 0;
    REQUIRE(s.idle_time(key, seconds));
    return seconds;
}

std::string read_value(Store& s, std::string_view key) {
    std::string v = "<missing>";
    s.get(key, [&](std::string_view value) { v = value; });
    return v;
}

} // namespace

TEST_CASE("eviction: the LRU clock counts seconds in 24 bits and idle times survive its wrap") {
    CHECK(lru_clock(0) == 0);
    CHECK(lru_clock(1999) == 1);
    CHECK(lru_clock(std::int64_t{lru_clock_max} * 1000 + 1000) == 0);
    CHECK(lru_idle(10, 25) == 15);
    CHECK(lru_idle(lru_clock_max - 4, 5) == 10); // across the wrap
    CHECK(lru_idle(7, 7) == 0);
    CHECK(lru_stamp_idle(100, 30) == 70);
    CHECK(lru_idle(lru_stamp_idle(5, 20), 5) == 20);
    CHECK(lru_idle(lru_stamp_idle(5, std::uint64_t{1} << 40), 5) == lru_clock_max);
}

TEST_CASE("store: a key's idle time grows while untouched; reads and writes reset it, looks do not") {
    g_now = 1'000'000;
    Store s(config());
    REQUIRE(s.set("k", "v") == Status::ok);
    CHECK(idle_of(s, "k") == 0);
    g_now += 5'000;
    CHECK(idle_of(s, "k") == 5);

    // TTL, TYPE, EXISTS, OBJECT, MEMORY USAGE and WATCH look without using the key.
    Type t{};
    CHECK(s.type_of("k", t));
    CHECK(s.exists("k"));
    CHECK(s.pttl("k") == -1);
    CHECK(s.memory_usage("k") > 0);
    CHECK(s.inspect("k", [](const Current& cur) { CHECK(cur.value == "v"); }));
    CHECK(idle_of(s, "k") == 5);

    SUBCASE("a read") {
        CHECK(read_value(s, "k") == "v");
        CHECK(idle_of(s, "k") == 0);
    }
    SUBCASE("TOUCH (modify without a write)") {
        s.modify("k", [](const Current&) { return Update{}; });
        CHECK(idle_of(s, "k") == 0);
    }
    SUBCASE("an overwrite in place") {
        REQUIRE(s.set("k", "w") == Status::ok);
        CHECK(idle_of(s, "k") == 0);
    }
    SUBCASE("a write that reallocates") {
        REQUIRE(s.set("k", std::string(500, 'x')) == Status::ok);
        CHECK(idle_of(s, "k") == 0);
    }
    SUBCASE("SET NX refused still looked the key up for writing") {
        SetArgs nx;
        nx.cond = SetArgs::Cond::nx;
        CHECK(s.set("k", "w", nx) == Status::condition);
        CHECK(idle_of(s, "k") == 0);
        CHECK(read_value(s, "k") == "v");
    }
    SUBCASE("EXPIRE, and PERSIST") {
        REQUIRE(s.expire_at("k", g_now + 60'000) == Status::ok);
        CHECK(idle_of(s, "k") == 0);
        g_now += 3'000;
        CHECK(idle_of(s, "k") == 3);
        CHECK(s.persist("k"));
        CHECK(idle_of(s, "k") == 0);
    }
    SUBCASE("a hash read or changed") {
        REQUIRE(s.modify_hash("h", 64, true, [](Hash& h) { h.set("f", "1"); }) == Status::ok);
        g_now += 4'000;
        CHECK(idle_of(s, "h") == 4);
        CHECK(s.read_hash("h", [](const Hash& h) { CHECK(h.size() == 1); }) == Status::ok);
        CHECK(idle_of(s, "h") == 0);
    }
}

TEST_CASE("store: an idle time set (RESTORE IDLETIME) reads back, and keeps key, value and TTL intact") {
    g_now = 2'000'000;
    Store s(config());
    std::string key(300, 'k'), value(1000, 'v');
    key[0] = '\0';
    value.back() = '\xff';
    REQUIRE(s.set(key, value) == Status::ok);
    REQUIRE(s.set("t", "with a ttl") == Status::ok);
    REQUIRE(s.expire_at("t", g_now + 3'600'000) == Status::ok);
    CHECK(s.set_idle_time(key, 3600));
    CHECK(s.set_idle_time("t", lru_clock_max - 1));
    CHECK(!s.set_idle_time("missing", 1));
    CHECK(idle_of(s, key) == 3600);
    CHECK(idle_of(s, "t") == lru_clock_max - 1);
    // The stamp sits between the header (and TTL) and the key: neither is disturbed.
    CHECK(s.inspect(key, [&](const Current& cur) { CHECK(cur.value == value); }));
    CHECK(s.pttl("t") == 3'600'000);
    CHECK(s.inspect("t", [&](const Current& cur) { CHECK(cur.value == "with a ttl"); }));
    std::uint32_t missing = 0;
    CHECK(!s.idle_time("missing", missing));
}

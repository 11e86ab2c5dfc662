// dupfind's hash cache: the file format both ways, what a damaged file gives, merging and
// bounding records, saving under the lock, and the finder taking hashes from it.
#include "dupfind_found.hpp"

#include "dupfind/cache.hpp"
#include "fs/fd.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <thread>

using namespace dupfind_test;

namespace {

CacheKey key(std::uint64_t ino, std::uint64_t size = 100) { return CacheKey{7, ino, size, 1000, 5, 2000, 6}; }

std::string digest_of(HashKind kind, char c) { return std::string(digest_size(kind), c); }

void write_bytes(const std::string& path, const std::string& bytes) {
    fs::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    REQUIRE(fd);
    REQUIRE(fs::write_all(fd.get(), bytes.data(), bytes.size()));
}

} // namespace

TEST_CASE("HashCache: put, serialize and parse give the same records back") {
    HashCache c;
    c.put(key(3), {HashKind::xxh3, digest_of(HashKind::xxh3, 'p'), digest_of(HashKind::xxh3, 'f')}, 50);
    c.put(key(1), {HashKind::sha256, "", digest_of(HashKind::sha256, 's')}, 60);
    c.put(key(2), {HashKind::blake2b, digest_of(HashKind::blake2b, 'b'), ""}, 70);
    const std::string bytes = c.serialize();
    CHECK(c.size() == 3);
    std::string why;
    auto back = HashCache::parse(bytes, why);
    REQUIRE_MESSAGE(back.has_value(), why);
    CHECK(back->size() == 3);
    auto h = back->find(key(3), HashKind::xxh3);
    REQUIRE(h.has_value());
    CHECK(h->prefix == digest_of(HashKind::xxh3, 'p'));
    CHECK(h->full == digest_of(HashKind::xxh3, 'f'));
    CHECK(h->used == 50);
    CHECK(back->find(key(1), HashKind::sha256)->full == digest_of(HashKind::sha256, 's'));
    CHECK(back->find(key(1), HashKind::sha256)->prefix.empty());
    CHECK(back->find(key(2), HashKind::blake2b)->prefix == digest_of(HashKind::blake2b, 'b'));
    // Another algorithm, or any other part of the key, finds nothing.
    CHECK_FALSE(back->find(key(3), HashKind::md5).has_value());
    CacheKey other = key(3);
    other.ctime_nsec += 1;
    CHECK_FALSE(back->find(other, HashKind::xxh3).has_value());
    other = key(3);
    other.size += 1;
    CHECK_FALSE(back->find(other, HashKind::xxh3).has_value());
    CHECK(back->serialize() == bytes);
}

TEST_CASE("HashCache: every one of many records is found again, and no other key") {
    // Enough records for the searches to gallop and the filter to hold many bits.
    HashCache c;
    for (std::uint64_t i = 0; i < 5000; ++i)
        c.put(key(i * 7, i % 13), {HashKind::xxh3, digest_of(HashKind::xxh3, static_cast<char>('a' + i % 26)), ""}, 1);
    std::string why;
    auto back = HashCache::parse(c.serialize(), why);
    REQUIRE_MESSAGE(back.has_value(), why);
    std::size_t found = 0, wrong = 0;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        auto v = back->view(key(i * 7, i % 13), HashKind::xxh3);
        found += v.has_value();
        wrong += v && v->prefix != digest_of(HashKind::xxh3, static_cast<char>('a' + i % 26));
        CHECK_FALSE(back->view(key(i * 7 + 1, i % 13), HashKind::xxh3).has_value());
    }
    CHECK(found == 5000);
    CHECK(wrong == 0);
    // Searched in key order from where the last search ended, as the finder does, with keys
    // missing in between and one out of order; and what the filter says of the keys.
    std::size_t from = 0, in_order = 0, filtered = 0, absent_filtered = 0;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        CHECK_FALSE(back->view(key(i * 7 - 1, i % 13), HashKind::xxh3, from).has_value());
        in_order += back->view(key(i * 7, i % 13), HashKind::xxh3, from).has_value();
        filtered += back->may_hold(key(i * 7, i % 13));
        absent_filtered += back->may_hold(key(i * 7 + 3, i % 13));
    }
    CHECK(in_order == 5000);
    CHECK(back->view(key(7, 1), HashKind::xxh3, from).has_value()); // before from: searched from the start
    CHECK(filtered == 5000);               // never a record missed
    CHECK(absent_filtered < 5000 / 5);     // and few keys taken for held
    CHECK_FALSE(HashCache().may_hold(key(1)));
    // What put() adds is found once merged by bound().
    back->put(key(1), {HashKind::xxh3, "", digest_of(HashKind::xxh3, 'z')}, 2);
    back->bound(cache_max_records);
    REQUIRE(back->view(key(1), HashKind::xxh3).has_value());
    CHECK(back->view(key(1), HashKind::xxh3)->full == digest_of(HashKind::xxh3, 'z'));
    CHECK(back->size() == 5001);
}

TEST_CASE("HashCache: a later put completes or replaces a record") {
    HashCache c;
    c.put(key(1), {HashKind::xxh3, digest_of(HashKind::xxh3, 'p'), ""}, 10);
    c.put(key(1), {HashKind::xxh3, "", digest_of(HashKind::xxh3, 'f')}, 20);
    c.put(key(2), {HashKind::xxh3, digest_of(HashKind::xxh3, 'p'), ""}, 10);
    c.put(key(2), {HashKind::md5, digest_of(HashKind::md5, 'm'), ""}, 20);
    std::string why;
    auto back = HashCache::parse(c.serialize(), why);
    REQUIRE(back.has_value());
    auto one = back->find(key(1), HashKind::xxh3);
    REQUIRE(one.has_value());
    CHECK(one->prefix == digest_of(HashKind::xxh3, 'p')); // kept from the first put
    CHECK(one->full == digest_of(HashKind::xxh3, 'f'));
    CHECK(one->used == 20);
    CHECK_FALSE(back->find(key(2), HashKind::xxh3).has_value()); // replaced by md5's
    CHECK(back->find(key(2), HashKind::md5)->prefix == digest_of(HashKind::md5, 'm'));
    // And over records read from a file.
    back->put(key(1), {HashKind::xxh3, digest_of(HashKind::xxh3, 'q'), ""}, 30);
    auto again = HashCache::parse(back->serialize(), why);
    REQUIRE(again.has_value());
    CHECK(again->find(key(1), HashKind::xxh3)->prefix == digest_of(HashKind::xxh3, 'q'));
    CHECK(again->find(key(1), HashKind::xxh3)->full == digest_of(HashKind::xxh3, 'f'));
}

TEST_CASE("HashCache: bound keeps the records used last") {
    HashCache c;
    for (std::uint64_t i = 0; i < 10; ++i)
        c.put(key(i), {HashKind::xxh3, "", digest_of(HashKind::xxh3, static_cast<char>('a' + i))},
              static_cast<std::int64_t>(100 + i % 5));
    c.bound(4);
    CHECK(c.size() == 4);
    std::string why;
    auto back = HashCache::parse(c.serialize(), why);
    REQUIRE(back.has_value());
    for (std::uint64_t i = 0; i < 10; ++i) // used 104: 4 and 9; used 103: 3 and 8
        CHECK(back->find(key(i), HashKind::xxh3).has_value() == (i % 5 >= 3));
    CHECK(back->find(key(9), HashKind::xxh3)->full == digest_of(HashKind::xxh3, 'j'));
}

TEST_CASE("HashCache::parse refuses what is not a whole cache file, and says why") {
    HashCache c;
    c.put(key(1), {HashKind::xxh3, digest_of(HashKind::xxh3, 'p'), digest_of(HashKind::xxh3, 'f')}, 1);
    c.put(key(2), {HashKind::xxh3, digest_of(HashKind::xxh3, 'p'), ""}, 1);
    const std::string good = c.serialize();
    std::string why;
    REQUIRE(HashCache::parse(good, why).has_value());
    CHECK_FALSE(HashCache::parse("", why).has_value());
    CHECK(why == "not a dupfind cache file");
    CHECK_FALSE(HashCache::parse(noise(4096, 1), why).has_value());
    CHECK(why == "not a dupfind cache file");
    for (std::size_t cut : {good.size() - 1, good.size() - 9, std::size_t{40}}) {
        CHECK_FALSE(HashCache::parse(good.substr(0, cut), why).has_value());
        CHECK(why.find("size") != std::string::npos);
    }
    for (std::size_t at = 8; at < good.size(); at += 7) {
        std::string bad = good;
        bad[at] ^= 0x10;
        CAPTURE(at);
        CHECK_FALSE(HashCache::parse(bad, why).has_value());
    }
    std::string newer = good;
    newer[8] = 2;
    CHECK_FALSE(HashCache::parse(newer, why).has_value());
    CHECK(why == "cache format version 2 (flags 0), this dupfind reads version 1");
}

TEST_CASE("save_cache and load_cache: a directory made, records merged under the lock, damage ignored") {
    TempDir t;
    const std::string path = t / "deep/syskit/dupfind.cache";
    std::vector<std::string> warnings;
    auto warn = [&](std::string_view w) { warnings.emplace_back(w); };
    CHECK(load_cache(path, warn).size() == 0);
    CHECK(warnings.empty()); // no file yet: nothing to say

    std::string error;
    REQUIRE_MESSAGE(save_cache(path, {{key(1), {HashKind::xxh3, "", digest_of(HashKind::xxh3, 'a')}}}, 5, error),
                    error);
    CHECK((lstat_of(t / "deep/syskit").st_mode & 07777) == 0700);
    // Runs at once, each adding its own record: none is lost.
    std::vector<std::thread> runs;
    std::vector<std::string> errors(8);
    for (std::uint64_t i = 0; i < 8; ++i)
        runs.emplace_back([&, i] {
            save_cache(path, {{key(10 + i), {HashKind::xxh3, "", digest_of(HashKind::xxh3, 'b')}}}, 6, errors[i]);
        });
    for (auto& r : runs)
        r.join();
    for (const auto& e : errors)
        CHECK(e.empty());
    HashCache c = load_cache(path, warn);
    CHECK(c.size() == 9);
    CHECK(c.find(key(1), HashKind::xxh3)->full == digest_of(HashKind::xxh3, 'a'));
    CHECK(c.find(key(17), HashKind::xxh3)->full == digest_of(HashKind::xxh3, 'b'));
    CHECK(warnings.empty());

    // A file of random bytes: ignored with a warning, and replaced on the next save.
    write_bytes(path, noise(10000, 9));
    CHECK(load_cache(path, warn).size() == 0);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "ignoring the cache: not a dupfind cache file; it will be rewritten");
    REQUIRE(save_cache(path, {{key(2), {HashKind::xxh3, "", digest_of(HashKind::xxh3, 'c')}}}, 7, error));
    c = load_cache(path, warn);
    CHECK(c.size() == 1);
    CHECK(c.find(key(2), HashKind::xxh3).has_value());

    REQUIRE(clear_cache(path, error));
    CHECK(::access(path.c_str(), F_OK) != 0);
    CHECK(clear_cache(path, error)); // nothing to clear is no error
}

TEST_CASE("find_duplicates with a cache: what it learns, and what it takes instead of reading") {
    TempDir t;
    const std::string big = noise(20000, 4);
    t.write("a1", big);
    t.write("a2", big);
    t.write("s1", "small");
    t.write("s2", "small");
    t.write("u", noise(20001, 5)); // its size's only file: never read, never learned

    HashCache cache;
    std::vector<std::pair<CacheKey, CacheHashes>> learned;
    FindOptions opt;
    opt.cache = &cache;
    opt.learned = &learned;
    Found first(t.path.string(), opt);
    CHECK(first.paths() == std::vector<std::vector<std::string>>{{t / "a1", t / "a2"}, {t / "s1", t / "s2"}});
    REQUIRE(learned.size() == 4);
    for (const auto& [k, h] : learned) {
        CHECK(h.kind == HashKind::xxh3);
        CHECK(h.full.size() == 16);
        CHECK(h.prefix.size() == (k.size == big.size() ? 16u : 0u));
    }
    // A cache that says s1 and a1 hold other bytes than they do: taken as said (listing
    // trusts the key), so no file needs reading and the groups follow the cache.
    for (auto& [k, h] : learned)
        if (k.ino == lstat_of(t / "s1").st_ino || k.ino == lstat_of(t / "a1").st_ino) {
            h.full[0] ^= 1;
            if (!h.prefix.empty())
                h.prefix[0] ^= 1;
        }
    for (const auto& [k, h] : learned)
        cache.put(k, h, 1);
    std::string why;
    auto loaded = HashCache::parse(cache.serialize(), why);
    REQUIRE(loaded.has_value());
    std::vector<std::pair<CacheKey, CacheHashes>> again;
    opt.cache = &*loaded;
    opt.learned = &again;
    Found second(t.path.string(), opt);
    CHECK(second.groups.empty());
    CHECK(again.size() == 4); // records last used at time 1: marked used again
}

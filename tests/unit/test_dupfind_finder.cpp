// dupfind's finder on real trees: grouping, hard links, size limits, hashes, --verify, and
// the checks that a file is still the one the walk saw.
#include "dupfind_found.hpp"

#include "dupfind/finder.hpp"
#include "fs/fd.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

using namespace dupfind_test;

TEST_CASE("find_duplicates: equal files grouped, near misses apart, hard links one file") {
    TempDir t;
    const std::string big = noise(20000, 2);
    std::string last = big;
    last.back() ^= 1;
    t.write("a1", big);
    t.write("sub/a2", big);
    t.write("last", last);        // differs in the last byte only: past the 4 KiB prefix
    t.write("other", noise(20000, 3));
    t.write("s1", "hello");
    t.write("s2", "hello");
    t.write("s3", "hellp");
    t.write("h1", "linked content");
    REQUIRE(::link((t / "h1").c_str(), (t / "h2").c_str()) == 0);
    t.write("e1", "");
    t.write("e2", "");

    Found f(t.path.string());
    CHECK(f.errors.empty());
    CHECK(f.paths() == std::vector<std::vector<std::string>>{{t / "a1", t / "sub/a2"}, {t / "s1", t / "s2"}});
    const Group& g = f.group_of(t / "a1");
    CHECK(g.size == big.size());
    CHECK(to_hex(g.digest) == hex_digest(HashKind::xxh3, big));
    CHECK(g.files[0].size == big.size());
    CHECK(g.files[0].id.ino == lstat_of(t / "a1").st_ino);
    CHECK(g.files[0].mtime_sec == lstat_of(t / "a1").st_mtim.tv_sec);
    CHECK(g.files[0].mtime_nsec == static_cast<std::uint32_t>(lstat_of(t / "a1").st_mtim.tv_nsec));
}

TEST_CASE("find_duplicates: a file with several names lists them all, and is no duplicate of itself") {
    TempDir t;
    t.write("a", "same bytes");
    REQUIRE(::link((t / "a").c_str(), (t / "b").c_str()) == 0);
    REQUIRE(::link((t / "a").c_str(), (t / "c").c_str()) == 0);
    CHECK(Found(t.path.string()).groups.empty());
    t.write("d", "same bytes");
    Found f(t.path.string());
    REQUIRE(f.groups.size() == 1);
    REQUIRE(f.groups[0].files.size() == 2);
    const File& linked = f.groups[0].files[0];
    REQUIRE(linked.names.size() == 3);
    CHECK(std::string_view(linked.names[0].path) == t / "a");
    CHECK(std::string_view(linked.names[1].path) == t / "b");
    CHECK(std::string_view(linked.names[2].path) == t / "c");
    CHECK(linked.names[2].base == (t / "c").size() - 1);
    CHECK(linked.names[2].dir() == t.path.string());
}

TEST_CASE("find_duplicates: empty files with min_size 0, size limits, include") {
    TempDir t;
    t.write("e1", "");
    t.write("e2", "");
    t.write("x.jpg", std::string(2000, 'x'));
    t.write("y.jpg", std::string(2000, 'x'));
    t.write("z.txt", std::string(2000, 'x'));
    t.write("p", std::string(100, 'p'));
    t.write("q", std::string(100, 'p'));
    CHECK(Found(t.path.string()).groups.size() == 2);
    FindOptions opt;
    opt.min_size = 0;
    Found empty(t.path.string(), opt);
    REQUIRE(empty.groups.size() == 3);
    CHECK(empty.group_of(t / "e1").size == 0);
    CHECK(empty.group_of(t / "e1").files.size() == 2);
    CHECK(to_hex(empty.group_of(t / "e1").digest) == hex_digest(HashKind::xxh3, ""));
    opt = {};
    opt.min_size = 101;
    CHECK(Found(t.path.string(), opt).paths() ==
          std::vector<std::vector<std::string>>{{t / "x.jpg", t / "y.jpg", t / "z.txt"}});
    opt = {};
    opt.max_size = 100;
    CHECK(Found(t.path.string(), opt).paths() == std::vector<std::vector<std::string>>{{t / "p", t / "q"}});
    opt = {};
    opt.include.add("*.jpg");
    CHECK(Found(t.path.string(), opt).paths() == std::vector<std::vector<std::string>>{{t / "x.jpg", t / "y.jpg"}});
}

TEST_CASE("find_duplicates: every hash and --verify give the same groups") {
    TempDir t;
    const std::string big = noise(300000, 4);
    t.write("a", big);
    t.write("b", big);
    std::string near = big;
    near[150000] ^= 1;
    t.write("c", near);
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5}) {
        for (bool verify : {false, true}) {
            CAPTURE(hash_name(k));
            CAPTURE(verify);
            FindOptions opt;
            opt.hash = k;
            opt.verify = verify;
            Found f(t.path.string(), opt);
            CHECK(f.errors.empty());
            CHECK(f.paths() == std::vector<std::vector<std::string>>{{t / "a", t / "b"}});
            CHECK(to_hex(f.groups.at(0).digest) == hex_digest(k, big));
        }
    }
}

TEST_CASE("find_duplicates: a missing root is reported through on_error") {
    TempDir t;
    Found f(t / "missing");
    CHECK(f.groups.empty());
    REQUIRE(f.errors.size() == 1);
    CHECK(f.errors[0] == std::pair<std::string, int>{t / "missing", ENOENT});
}

TEST_CASE("open_unchanged and same_bytes") {
    TempDir t;
    t.write("a", noise(10000, 5));
    t.write("b", noise(10000, 5));
    t.write("c", noise(10000, 6));
    Found f(t.path.string());
    REQUIRE(f.groups.size() == 1);
    const File& a = f.groups[0].files[0];
    const File& b = f.groups[0].files[1];
    fs::UniqueFd fa(open_unchanged(a, a.names[0], f.roots));
    fs::UniqueFd fb(open_unchanged(b, b.names[0], f.roots));
    REQUIRE(fa);
    REQUIRE(fb);
    int err = -1;
    CHECK(same_bytes(fa.get(), fb.get(), a.size, err));
    CHECK(err == 0);
    fs::UniqueFd fc(open(((t / "c")).c_str(), O_RDONLY));
    CHECK_FALSE(same_bytes(fa.get(), fc.get(), a.size, err));
    CHECK(err == 0);
    // Another file under a's name: not the file that was hashed.
    t.write("a.new", noise(10000, 5));
    REQUIRE(::rename((t / "a.new").c_str(), (t / "a").c_str()) == 0);
    errno = 0;
    CHECK(open_unchanged(a, a.names[0], f.roots) == -1);
    CHECK(errno == ESTALE);
}

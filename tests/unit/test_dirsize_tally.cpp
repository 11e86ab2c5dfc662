// Unit tests of dirsize's tally (tools/dirsize/tally.hpp): du's post-order, and the totals
// of a small tree built here (hard links once, per-directory totals that add up).
#include "dirsize/tally.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::dirsize;

namespace {

/// Sorts a copy of paths with post_order_less.
std::vector<std::string> post_sorted(std::vector<std::string> paths) {
    std::sort(paths.begin(), paths.end(), [](const std::string& a, const std::string& b) {
        return post_order_less(a, b);
    });
    return paths;
}

struct Run {
    RootTotal result;
    std::vector<std::string> errors;
};

Run tally_one(Tally& tally, const std::string& root, unsigned threads = 2) {
    fs::WalkOptions w;
    w.threads = threads;
    Run run;
    run.result = tally.walk(root, w, [&](const fs::Entry& e) { run.errors.emplace_back(e.path); }, nullptr);
    return run;
}

Run tally_tree(const std::string& root, TallyOptions opt, unsigned threads = 2) {
    Tally tally(opt);
    return tally_one(tally, root, threads);
}

std::map<std::string, std::uint64_t> by_path(const std::vector<Sized>& v) {
    std::map<std::string, std::uint64_t> m;
    for (const Sized& s : v)
        m[s.path] = s.size;
    return m;
}

std::map<std::string, int> depth_by_path(const std::vector<Sized>& v) {
    std::map<std::string, int> m;
    for (const Sized& s : v)
        m[s.path] = s.depth;
    return m;
}

std::uint64_t apparent(const std::string& path) {
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.st_size);
}

std::uint64_t blocks(const std::string& path) {
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

/// root/{a/{f1 (100 B), l1 = link to f1, sub/f2 (3000 B)}, b/{f3 (7 B), l2 = link to f1}, top (50 B)}
/// f1 has three names (a/f1, a/l1, b/l2): it counts once, under a/f1, the name that sorts first.
void linked_tree(const TempDir& t) {
    t.write("a/f1", std::string(100, 'x'));
    t.write("a/sub/f2", std::string(3000, 'y'));
    t.write("b/f3", std::string(7, 'z'));
    t.write("top", std::string(50, 't'));
    REQUIRE(::link((t / "a/f1").c_str(), (t / "a/l1").c_str()) == 0);
    REQUIRE(::link((t / "a/f1").c_str(), (t / "b/l2").c_str()) == 0);
}

} // namespace

TEST_CASE("dirsize: post_order_less puts a directory after what it holds, siblings by bytes") {
    CHECK(post_order_less("t/a/x", "t/a"));
    CHECK_FALSE(post_order_less("t/a", "t/a/x"));
    CHECK(post_order_less("t/a", "t/b"));
    CHECK_FALSE(post_order_less("t/b", "t/a"));
    // "t/a" and everything below it before "t/a-b": '-' (0x2d) sorts before '/' (0x2f) as a
    // byte, but a component's end sorts before any byte.
    CHECK(post_order_less("t/a", "t/a-b"));
    CHECK(post_order_less("t/a/x", "t/a-b"));
    CHECK(post_order_less("t/a/x", "t/a-b/y"));
    CHECK(post_order_less("t/a", "t/ab"));
    CHECK(post_order_less("t/a/zzz", "t/ab"));
    CHECK_FALSE(post_order_less("t/ab", "t/a/zzz"));
    // Bytes are unsigned: a name with a byte >= 0x80 sorts after ASCII names.
    CHECK(post_order_less("t/z", "t/\xc3\xa9"));
    CHECK(post_order_less("t/a/b/c/d", "t"));
    // Irreflexive.
    CHECK_FALSE(post_order_less("t/a", "t/a"));
    CHECK_FALSE(post_order_less("", ""));
}

TEST_CASE("dirsize: post_order_less sorts a shuffled list into du's order") {
    std::vector<std::string> want = {"t/a/b/c", "t/a/b", "t/a/b-c", "t/a", "t/a-b/x", "t/a-b",
                                     "t/ab",    "t/b",   "t/z/y",   "t/z", "t"};
    std::vector<std::string> shuffled = want;
    std::mt19937 rng(42);
    for (int i = 0; i < 20; ++i) {
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        CHECK(post_sorted(shuffled) == want);
    }
}

TEST_CASE("dirsize: post_order_less puts a root given with a trailing slash last") {
    // du --max-depth 1 t/ prints t/a, t/b, then t/ last; so does / and its children.
    CHECK(post_order_less("t/a", "t/"));
    CHECK_FALSE(post_order_less("t/", "t/a"));
    CHECK(post_sorted({"t/", "t/b", "t/a"}) == std::vector<std::string>{"t/a", "t/b", "t/"});
    CHECK(post_order_less("/usr", "/"));
    CHECK(post_sorted({"/", "/usr/lib", "/usr", "/etc"}) == std::vector<std::string>{"/etc", "/usr/lib", "/usr", "/"});
}

TEST_CASE("dirsize: Tally counts a file with several names once, under the name that sorts first") {
    TempDir t;
    linked_tree(t);
    const std::string r = t.path.string();
    for (unsigned threads : {1u, 2u, 4u}) {
        CAPTURE(threads);
        TallyOptions opt;
        opt.apparent = true;
        opt.per_directory = true;
        Run run = tally_tree(r, opt, threads);
        CHECK(run.errors.empty());
        CHECK(run.result.found);
        CHECK(run.result.errors == 0);
        CHECK(run.result.total.path == r);

        std::uint64_t dir_r = apparent(r), dir_a = apparent(r + "/a"), dir_sub = apparent(r + "/a/sub"),
                      dir_b = apparent(r + "/b");
        std::uint64_t sub = dir_sub + 3000;
        std::uint64_t a = dir_a + 100 + sub; // a/f1 once, a/l1 not again
        std::uint64_t b = dir_b + 7;         // b/l2 is a/f1: not counted here
        std::uint64_t total = dir_r + a + b + 50;
        CHECK(run.result.total.size == total);
        auto dirs = by_path(run.result.directories);
        CHECK(dirs == std::map<std::string, std::uint64_t>{{r, total}, {r + "/a", a}, {r + "/a/sub", sub}, {r + "/b", b}});
        CHECK(depth_by_path(run.result.directories) ==
              std::map<std::string, int>{{r, 0}, {r + "/a", 1}, {r + "/a/sub", 2}, {r + "/b", 1}});
    }
}

TEST_CASE("dirsize: Tally's per-directory totals add up to the root's, in disk usage too") {
    TempDir t;
    t.write("x/1", std::string(5000, '1'));
    t.write("x/y/2", std::string(9000, '2'));
    t.write("x/y/z/3", std::string(1, '3'));
    t.write("zz/4", std::string(70000, '4'));
    t.write("5", "");
    REQUIRE(::link((t / "x/y/2").c_str(), (t / "zz/2-again").c_str()) == 0);
    const std::string r = t.path.string();
    TallyOptions opt;
    opt.per_directory = true; // st_blocks * 512
    Run run = tally_tree(r, opt);
    CHECK(run.errors.empty());
    auto dirs = by_path(run.result.directories);
    REQUIRE(dirs.size() == 5);

    std::uint64_t z = blocks(r + "/x/y/z") + blocks(r + "/x/y/z/3");
    std::uint64_t y = blocks(r + "/x/y") + blocks(r + "/x/y/2") + z;
    std::uint64_t x = blocks(r + "/x") + blocks(r + "/x/1") + y;
    std::uint64_t w = blocks(r + "/zz") + blocks(r + "/zz/4"); // zz/2-again is x/y/2, counted there
    std::uint64_t root = blocks(r) + blocks(r + "/5") + x + w;
    CHECK(dirs[r + "/x/y/z"] == z);
    CHECK(dirs[r + "/x/y"] == y);
    CHECK(dirs[r + "/x"] == x);
    CHECK(dirs[r + "/zz"] == w);
    CHECK(dirs[r] == root);
    CHECK(run.result.total.size == root);

    // Every directory's total is its own size, its files' and its subdirectories' totals.
    CHECK(dirs[r] == blocks(r) + blocks(r + "/5") + dirs[r + "/x"] + dirs[r + "/zz"]);

    // Without per_directory, the same total and no breakdown.
    Run plain = tally_tree(r, TallyOptions{});
    CHECK(plain.result.total.size == root);
    CHECK(plain.result.directories.empty());
}

TEST_CASE("dirsize: Tally with remember_all counts nothing twice across roots") {
    TempDir t;
    linked_tree(t);
    const std::string r = t.path.string();
    TallyOptions opt;
    opt.apparent = true;
    opt.remember_all = true;
    Tally tally(opt);

    // b first: b/l2 (a name of a/f1) counts there; a then counts neither a/f1 nor a/l1.
    Run b = tally_one(tally, r + "/b");
    CHECK(b.result.found);
    CHECK(b.result.total.size == apparent(r + "/b") + 7 + 100);
    Run a = tally_one(tally, r + "/a");
    CHECK(a.result.found);
    CHECK(a.result.total.size == apparent(r + "/a") + apparent(r + "/a/sub") + 3000);
    // The whole tree now: only what a and b did not hold.
    Run whole = tally_one(tally, r);
    CHECK(whole.result.found);
    CHECK(whole.result.total.size == apparent(r) + 50);
    // A root met again is not found: du prints it once.
    Run again = tally_one(tally, r + "/a");
    CHECK_FALSE(again.result.found);
    CHECK(again.result.total.size == 0);
    CHECK(again.errors.empty());
}

TEST_CASE("dirsize: Tally keeps the largest files, largest first") {
    TempDir t;
    t.write("d/small", std::string(10, 's'));
    t.write("d/e/big", std::string(5000, 'b'));
    t.write("mid", std::string(300, 'm'));
    t.write("d/tiny", std::string(1, 't'));
    const std::string r = t.path.string();
    TallyOptions opt;
    opt.apparent = true;
    opt.largest_files = 2;
    Run run = tally_tree(r, opt);
    REQUIRE(run.result.files.size() == 2);
    CHECK(run.result.files[0].path == r + "/d/e/big");
    CHECK(run.result.files[0].size == 5000);
    CHECK(run.result.files[0].depth == 3);
    CHECK(run.result.files[1].path == r + "/mid");
    CHECK(run.result.files[1].size == 300);
    CHECK(run.result.files[1].depth == 1);
}

TEST_CASE("dirsize: Tally gives a largest file with several names its depth") {
    TempDir t;
    t.write("d/e/big", std::string(5000, 'b'));
    REQUIRE(::link((t / "d/e/big").c_str(), (t / "d/e/big2").c_str()) == 0);
    const std::string r = t.path.string();
    TallyOptions opt;
    opt.apparent = true;
    opt.largest_files = 1;
    Run run = tally_tree(r, opt);
    REQUIRE(run.result.files.size() == 1);
    CHECK(run.result.files[0].path == r + "/d/e/big");
    CHECK(run.result.files[0].size == 5000);
    CHECK(run.result.files[0].depth == 3);
}

TEST_CASE("dirsize: Tally on a root that is a file lists no directory with an empty path") {
    TempDir t;
    t.write("f", std::string(1234, 'f'));
    const std::string r = t / "f";
    TallyOptions opt;
    opt.apparent = true;
    opt.per_directory = true;
    Run run = tally_tree(r, opt);
    CHECK(run.result.found);
    CHECK(run.result.total.size == 1234);
    for (const Sized& d : run.result.directories)
        CHECK_MESSAGE(!d.path.empty(), "a directory with an empty path, size ", d.size);
}

TEST_CASE("dirsize: Tally reports a missing root through on_error, not found") {
    TempDir t;
    Run run = tally_tree(t / "missing", TallyOptions{});
    CHECK_FALSE(run.result.found);
    CHECK(run.result.errors == 1);
    CHECK(run.errors == std::vector<std::string>{t / "missing"});
}

TEST_CASE("dirsize: Tally with all_entries lists every file once, a linked one under its first name") {
    TempDir t;
    linked_tree(t);
    const std::string r = t.path.string();
    TallyOptions opt;
    opt.apparent = true;
    opt.per_directory = true;
    opt.all_entries = true;
    Run run = tally_tree(r, opt);
    CHECK(run.errors.empty());
    CHECK(by_path(run.result.entries) == std::map<std::string, std::uint64_t>{
                                             {r + "/a/f1", 100}, {r + "/a/sub/f2", 3000}, {r + "/b/f3", 7}, {r + "/top", 50}});
    CHECK(depth_by_path(run.result.entries)[r + "/a/sub/f2"] == 3);
    opt.all_entries = false;
    CHECK(tally_tree(r, opt).result.entries.empty());
}

TEST_CASE("dirsize: Tally following links counts what several paths reach once, loops and all") {
    TempDir t;
    t.write("a/f", std::string(100, 'x'));
    const std::string r = t.path.string();
    REQUIRE(::symlink("a", (t / "la").c_str()) == 0);
    REQUIRE(::symlink("a/f", (t / "lf").c_str()) == 0);
    REQUIRE(::symlink("..", (t / "a/up").c_str()) == 0);
    const std::uint64_t want = apparent(r) + apparent(r + "/a") + 100;
    for (unsigned threads : {1u, 2u}) {
        CAPTURE(threads);
        TallyOptions opt;
        opt.apparent = true;
        opt.follow = true;
        fs::WalkOptions w;
        w.threads = threads;
        w.flags = fs::walk_follow;
        Tally tally(opt);
        Run run;
        run.result = tally.walk(r, w, [&](const fs::Entry& e) { run.errors.emplace_back(e.path); }, nullptr);
        CHECK(run.errors.empty());
        CHECK(run.result.errors == 0);
        CHECK(run.result.total.size == want);
        // A second walk of the same root counts it again: what one walk saw is its own.
        CHECK(tally.walk(r, w, [](const fs::Entry&) {}, nullptr).total.size == want);
    }
    REQUIRE(::symlink("nowhere", (t / "dangling").c_str()) == 0);
    TallyOptions opt;
    opt.follow = true;
    fs::WalkOptions w;
    w.flags = fs::walk_follow;
    Tally tally(opt);
    std::vector<std::string> errors;
    RootTotal total = tally.walk(r, w, [&](const fs::Entry& e) { errors.emplace_back(e.path); }, nullptr);
    CHECK(total.errors == 1);
    CHECK(errors == std::vector<std::string>{r + "/dangling"});
}

// dupfind's stages: hashes, --keep ordering, the finder on real trees, and apply_action's
// safety checks when a file changes between hashing and acting (no end-to-end hook exists
// between the two phases, so these are tested here); cli::parse_size for --min/--max-size.
#include "act.hpp"
#include "cli/size.hpp"
#include "finder.hpp"
#include "fs/fd.hpp"
#include "hash.hpp"
#include "keep.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

using namespace syskit;
using namespace syskit::dupfind;

namespace {

std::string hex_digest(HashKind kind, std::string_view data) {
    Hasher h(kind);
    h.update(data.data(), data.size());
    return to_hex(h.digest());
}

std::string noise(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng());
    return s;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

/// Entries of dir whose name starts with ".dupfind-": temporary names left behind.
int leftovers(const std::string& dir) {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir))
        n += e.path().filename().string().rfind(".dupfind-", 0) == 0;
    return n;
}

/// A finder run over one root, with its errors collected.
struct Found {
    std::vector<std::string> roots;
    std::vector<std::string> absolute;
    std::vector<Group> groups;
    std::vector<std::pair<std::string, int>> errors;

    explicit Found(const std::string& root, FindOptions opt = {}) : roots{root}, absolute{root} {
        opt.walk.roots = roots;
        opt.walk.threads = 2;
        std::mutex mu;
        FindCounters counters;
        groups = find_duplicates(
            opt,
            [&](std::string_view path, int err) {
                std::lock_guard lock(mu);
                errors.emplace_back(std::string(path), err);
            },
            &counters);
        CHECK(counters.groups.load() == groups.size());
    }

    /// The group holding a file with the name path.
    const Group& group_of(const std::string& path) const {
        for (const Group& g : groups)
            for (const File& f : g.files)
                for (const Name& n : f.names)
                    if (n.path == path)
                        return g;
        FAIL("no group holds " << path);
        throw std::logic_error("unreachable");
    }

    /// The first name of each file of each group.
    std::vector<std::vector<std::string>> paths() const {
        std::vector<std::vector<std::string>> out;
        for (const Group& g : groups) {
            out.emplace_back();
            for (const File& f : g.files)
                out.back().push_back(f.names[0].path);
        }
        return out;
    }

    ActContext context(ActionKind kind) const { return ActContext{roots, absolute, kind}; }
};

/// A file for order_group: one name per path, in the given root.
File file(std::vector<std::string> paths, std::int64_t mtime, std::uint32_t nsec = 0, std::uint32_t root = 0) {
    File f;
    static ino_t ino = 1000;
    f.id = {1, ++ino};
    f.size = 10;
    f.mtime_sec = mtime;
    f.mtime_nsec = nsec;
    for (auto& p : paths) {
        std::size_t slash = p.rfind('/');
        f.names.push_back(Name{p, root, static_cast<std::uint32_t>(slash == std::string::npos ? 0 : slash + 1)});
    }
    return f;
}

std::vector<std::string> order(const Group& g) {
    std::vector<std::string> out;
    for (const File& f : g.files)
        out.push_back(f.names[0].path);
    return out;
}

} // namespace

// --- cli::parse_size --------------------------------------------------------------------

TEST_CASE("parse_size: numbers and binary units") {
    using cli::parse_size;
    CHECK(parse_size("0") == 0u);
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("10K") == 10240u);
    CHECK(parse_size("10k") == 10240u);
    CHECK(parse_size("10KB") == 10240u);
    CHECK(parse_size("64KiB") == 65536u);
    CHECK(parse_size("64kib") == 65536u);
    CHECK(parse_size("1.5M") == 1572864u);
    CHECK(parse_size("4M") == 4u << 20);
    CHECK(parse_size("2G") == 2ull << 30);
    CHECK(parse_size("3T") == 3ull << 40);
    CHECK(parse_size("1P") == 1ull << 50);
    CHECK(parse_size("1E") == 1ull << 60);
    CHECK(parse_size("15E") == 15ull << 60);
    CHECK(parse_size("0.5K") == 512u);
    CHECK(parse_size("0.001K") == 1u);           // 1.024 bytes, rounded down
    CHECK(parse_size("1.999K") == 2046u);        // rounded down to whole bytes
    CHECK(parse_size("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("parse_size: rejects what is not a size") {
    using cli::parse_size;
    for (const char* bad : {"", "K", "-1", "+1", "1.5", "1.", ".5K", "1.K", "10X", "1 K", " 1", "1 ", "0x10",
                            "1KiBB", "1iB", "1Ki", "1KK", "1e3", "16E", "17E", "16.0E",
                            "18446744073709551616", "99999999999999999999999", "16777216T"}) {
        CAPTURE(std::string(bad));
        CHECK_FALSE(parse_size(bad).has_value());
    }
}

TEST_CASE("parse_size: the largest values of each unit") {
    using cli::parse_size;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    CHECK(parse_size(std::to_string(max >> 10) + "K") == (max >> 10) << 10);
    CHECK_FALSE(parse_size(std::to_string((max >> 10) + 1) + "K").has_value());
    CHECK(parse_size("15.999999999E").has_value());
    CHECK(*parse_size("15.999999999E") > 15ull << 60);
}

// --- hashes -----------------------------------------------------------------------------

TEST_CASE("parse_hash and hash_name name the same four hashes") {
    CHECK(parse_hash("xxh3-128") == HashKind::xxh3);
    CHECK(parse_hash("xxh3") == HashKind::xxh3);
    CHECK(parse_hash("sha256") == HashKind::sha256);
    CHECK(parse_hash("blake2b") == HashKind::blake2b);
    CHECK(parse_hash("md5") == HashKind::md5);
    for (const char* bad : {"", "sha1", "SHA256", "md5 ", "xxh64", "blake2s", "xxh3-64"}) {
        CAPTURE(std::string(bad));
        CHECK_FALSE(parse_hash(bad).has_value());
    }
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5})
        CHECK(parse_hash(hash_name(k)) == k);
    CHECK(hash_name(HashKind::xxh3) == "xxh3-128");
}

TEST_CASE("Hasher gives the known digests") {
    CHECK(hex_digest(HashKind::md5, "abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(hex_digest(HashKind::md5, "") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(hex_digest(HashKind::sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_digest(HashKind::sha256, "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_digest(HashKind::blake2b, "abc") ==
          "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
          "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
    // XXH3-128 of nothing, canonical (big-endian) form, as xxhsum -H2 prints it.
    CHECK(hex_digest(HashKind::xxh3, "") == "99aa06d3014798d86001c324468d497f");
    CHECK(hex_digest(HashKind::xxh3, "abc").size() == 32);
}

TEST_CASE("Hasher streams, and reset starts over") {
    const std::string data = noise(100000, 1);
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5}) {
        CAPTURE(hash_name(k));
        Hasher h(k);
        h.update("garbage", 7);
        h.reset();
        for (std::size_t i = 0; i < data.size(); i += 7777)
            h.update(data.data() + i, std::min<std::size_t>(7777, data.size() - i));
        std::string streamed = h.digest();
        CHECK(to_hex(streamed) == hex_digest(k, data));
        h.reset();
        h.update(data.data(), data.size() - 1);
        CHECK(h.digest() != streamed);
        Hasher moved = std::move(h);
        moved.reset();
        moved.update(data.data(), data.size());
        CHECK(moved.digest() == streamed);
    }
}

TEST_CASE("to_hex") {
    CHECK(to_hex("") == "");
    CHECK(to_hex(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
}

// --- --keep -----------------------------------------------------------------------------

TEST_CASE("parse_keep: the four rules, and anything else is a glob") {
    CHECK(parse_keep("first").rule == KeepRule::first);
    CHECK(parse_keep("oldest").rule == KeepRule::oldest);
    CHECK(parse_keep("newest").rule == KeepRule::newest);
    CHECK(parse_keep("shortest-path").rule == KeepRule::shortest_path);
    Keep g = parse_keep("*.jpg");
    CHECK(g.rule == KeepRule::glob);
    CHECK(g.glob.matches("/x/a.jpg", "a.jpg"));
    CHECK(parse_keep("Oldest").rule == KeepRule::glob);
}

TEST_CASE("order_group: the kept file first, ties in root then path order") {
    auto make = [] {
        Group g;
        g.size = 10;
        g.files.push_back(file({"r/b/long-name"}, 200));
        g.files.push_back(file({"r/a"}, 300));
        g.files.push_back(file({"r/c/x"}, 100));
        g.files.push_back(file({"q/z"}, 200, 0, 1)); // second root
        return g;
    };
    Group g = make();
    order_group(g, parse_keep("first"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "r/c/x", "q/z"});
    g = make();
    order_group(g, parse_keep("oldest"));
    CHECK(order(g) == std::vector<std::string>{"r/c/x", "r/b/long-name", "q/z", "r/a"});
    g = make();
    order_group(g, parse_keep("newest"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "q/z", "r/c/x"});
    g = make();
    order_group(g, parse_keep("shortest-path"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "q/z", "r/c/x", "r/b/long-name"});
    g = make();
    order_group(g, parse_keep("x"));
    CHECK(order(g) == std::vector<std::string>{"r/c/x", "r/a", "r/b/long-name", "q/z"});
    g = make();
    order_group(g, parse_keep("q/*"));
    CHECK(order(g) == std::vector<std::string>{"q/z", "r/a", "r/b/long-name", "r/c/x"});
    g = make();
    order_group(g, parse_keep("nothing-matches"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "r/c/x", "q/z"});
}

TEST_CASE("order_group: nanoseconds decide between equal seconds") {
    Group g;
    g.files.push_back(file({"a"}, 100, 900));
    g.files.push_back(file({"b"}, 100, 5));
    g.files.push_back(file({"c"}, 99, 999999999));
    order_group(g, parse_keep("oldest"));
    CHECK(order(g) == std::vector<std::string>{"c", "b", "a"});
    order_group(g, parse_keep("newest"));
    CHECK(order(g) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("order_group: a glob matching any name of a file with several keeps it, names untouched") {
    Group g;
    g.files.push_back(file({"d/a", "d/z-keep"}, 1));
    g.files.push_back(file({"d/b"}, 1));
    order_group(g, parse_keep("b"));
    CHECK(order(g) == std::vector<std::string>{"d/b", "d/a"});
    order_group(g, parse_keep("*-keep"));
    CHECK(order(g) == std::vector<std::string>{"d/a", "d/b"});
    CHECK(g.files[0].names[1].path == "d/z-keep");
}

// --- action_command ---------------------------------------------------------------------

TEST_CASE("action_command: the commands a dry run prints, quoted for sh") {
    CHECK(action_command(ActionKind::remove, "k", "/abs/k", "d/p") == "rm d/p");
    CHECK(action_command(ActionKind::hardlink, "k", "/abs/k", "d/p") == "ln -f k d/p");
    CHECK(action_command(ActionKind::symlink, "k", "/abs/k", "d/p") == "ln -sf /abs/k d/p");
    CHECK(action_command(ActionKind::reflink, "k", "/abs/k", "d/p") == "cp --reflink=always k d/p");
    CHECK(action_command(ActionKind::remove, "k", "/abs/k", "it's a\nname") == "rm 'it'\\''s a\nname'");
    // A path that looks like an option cannot be taken for one.
    CHECK(action_command(ActionKind::remove, "k", "/abs/k", "-rf") == "rm ./-rf");
    CHECK(action_command(ActionKind::hardlink, "-k", "/abs/-k", "-p") == "ln -f ./-k ./-p");
}

// --- the finder -------------------------------------------------------------------------

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
    CHECK(linked.names[0].path == t / "a");
    CHECK(linked.names[1].path == t / "b");
    CHECK(linked.names[2].path == t / "c");
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

// --- apply_action -----------------------------------------------------------------------

namespace {

/// A tree with one group: keep (kept, first) and sub/copy.
struct ActTree {
    TempDir t;
    std::string content = noise(10000, 7);
    std::unique_ptr<Found> found;
    ActTree() {
        t.write("keep", content);
        t.write("sub/copy", content);
        found = std::make_unique<Found>(t.path.string());
        REQUIRE(found->groups.size() == 1);
        REQUIRE(found->groups[0].files.size() == 2);
        REQUIRE(found->groups[0].files[0].names[0].path == t / "keep");
    }
    const File& keep() const { return found->groups[0].files[0]; }
    const File& copy() const { return found->groups[0].files[1]; }
    bool apply(ActionKind kind, std::string& error) const {
        return apply_action(found->context(kind), keep(), copy(), copy().names[0], error);
    }
};

const ActionKind kinds[] = {ActionKind::remove, ActionKind::hardlink, ActionKind::symlink, ActionKind::reflink};

const char* kind_name(ActionKind k) {
    switch (k) {
    case ActionKind::remove: return "delete";
    case ActionKind::hardlink: return "hardlink";
    case ActionKind::symlink: return "symlink";
    case ActionKind::reflink: return "reflink";
    case ActionKind::none: break;
    }
    return "none";
}

void set_mtime(const std::string& path, const struct stat& like) {
    struct timespec ts[2] = {like.st_atim, like.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

} // namespace

TEST_CASE("apply_action: delete, hardlink and symlink replace the copy") {
    {
        ActTree a;
        std::string error;
        CHECK(a.apply(ActionKind::remove, error));
        CHECK(error.empty());
        CHECK_FALSE(exists(a.t / "sub/copy"));
        CHECK(read_all(a.t / "keep") == a.content);
        CHECK(leftovers(a.t / "sub") == 0);
    }
    {
        ActTree a;
        std::string error;
        CHECK(a.apply(ActionKind::hardlink, error));
        CHECK(lstat_of(a.t / "sub/copy").st_ino == lstat_of(a.t / "keep").st_ino);
        CHECK(lstat_of(a.t / "keep").st_nlink == 2);
        CHECK(leftovers(a.t / "sub") == 0);
    }
    {
        ActTree a;
        std::string error;
        CHECK(a.apply(ActionKind::symlink, error));
        CHECK(S_ISLNK(lstat_of(a.t / "sub/copy").st_mode));
        CHECK(std::filesystem::read_symlink(a.t / "sub/copy") == a.t / "keep");
        CHECK(read_all(a.t / "sub/copy") == a.content);
        CHECK(leftovers(a.t / "sub") == 0);
    }
}

TEST_CASE("apply_action: a reflink the file system cannot make leaves the copy as it was") {
    ActTree a;
    struct statfs sf;
    REQUIRE(::statfs(a.t.path.c_str(), &sf) == 0);
    if (sf.f_type == BTRFS_SUPER_MAGIC || sf.f_type == XFS_SUPER_MAGIC)
        return; // this file system can share extents
    const struct stat before = lstat_of(a.t / "sub/copy");
    std::string error;
    CHECK_FALSE(a.apply(ActionKind::reflink, error));
    CHECK(error.find("reflink") != std::string::npos);
    CHECK(lstat_of(a.t / "sub/copy").st_ino == before.st_ino);
    CHECK(read_all(a.t / "sub/copy") == a.content);
    CHECK(leftovers(a.t / "sub") == 0);
}

TEST_CASE("apply_action: a copy that grew between hashing and acting is left alone") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        {
            std::ofstream out(a.t / "sub/copy", std::ios::binary | std::ios::app);
            out << 'x';
        }
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK(error.find("changed") != std::string::npos);
        CHECK(read_all(a.t / "sub/copy") == a.content + "x");
        CHECK(S_ISREG(lstat_of(a.t / "sub/copy").st_mode));
        CHECK(lstat_of(a.t / "keep").st_nlink == 1);
        CHECK(leftovers(a.t / "sub") == 0);
    }
}

TEST_CASE("apply_action: a copy replaced by another file of the same size is left alone") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        std::string other = noise(a.content.size(), 8);
        a.t.write("sub/.new", other);
        set_mtime(a.t / "sub/.new", lstat_of(a.t / "sub/copy")); // even with the same mtime
        REQUIRE(::rename((a.t / "sub/.new").c_str(), (a.t / "sub/copy").c_str()) == 0);
        const ino_t ino = lstat_of(a.t / "sub/copy").st_ino;
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK(error.find("changed") != std::string::npos);
        CHECK(read_all(a.t / "sub/copy") == other);
        CHECK(lstat_of(a.t / "sub/copy").st_ino == ino);
        CHECK(leftovers(a.t / "sub") == 0);
    }
}

TEST_CASE("apply_action: a copy rewritten in place, mtime put back, is caught by the byte compare") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        const struct stat before = lstat_of(a.t / "sub/copy");
        std::string other = a.content;
        other[9000] ^= 1;
        {
            std::fstream out(a.t / "sub/copy", std::ios::binary | std::ios::in | std::ios::out);
            out.seekp(9000);
            out.put(other[9000]);
        }
        set_mtime(a.t / "sub/copy", before);
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK(error.find("differ") != std::string::npos);
        CHECK(read_all(a.t / "sub/copy") == other);
        CHECK(lstat_of(a.t / "sub/copy").st_ino == before.st_ino);
        CHECK(leftovers(a.t / "sub") == 0);
    }
}

TEST_CASE("apply_action: nothing is done when the kept file changed") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        {
            std::ofstream out(a.t / "keep", std::ios::binary | std::ios::app);
            out << 'x';
        }
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK(error.find("kept") != std::string::npos);
        CHECK(read_all(a.t / "sub/copy") == a.content);
        CHECK(S_ISREG(lstat_of(a.t / "sub/copy").st_mode));
    }
}

TEST_CASE("apply_action: a copy gone in between is an error, nothing else changes") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        REQUIRE(::unlink((a.t / "sub/copy").c_str()) == 0);
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK_FALSE(error.empty());
        CHECK_FALSE(exists(a.t / "sub/copy"));
        CHECK(read_all(a.t / "keep") == a.content);
        CHECK(lstat_of(a.t / "keep").st_nlink == 1);
    }
}

TEST_CASE("apply_action: a symlink swapped into a parent directory is not followed") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        // sub becomes a link to the real directory (which still holds the very file hashed).
        REQUIRE(::rename((a.t / "sub").c_str(), (a.t / "real").c_str()) == 0);
        REQUIRE(::symlink("real", (a.t / "sub").c_str()) == 0);
        const struct stat before = lstat_of(a.t / "real/copy");
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK_FALSE(error.empty());
        CHECK(S_ISLNK(lstat_of(a.t / "sub").st_mode));
        CHECK(lstat_of(a.t / "real/copy").st_ino == before.st_ino);
        CHECK(read_all(a.t / "real/copy") == a.content);
        CHECK(lstat_of(a.t / "keep").st_nlink == 1);
        CHECK(leftovers(a.t / "real") == 0);
    }
}

TEST_CASE("apply_action: the reason names the symbolic link swapped into the path") {
    // Swapped in for the copy's parent, and for a directory above that.
    for (std::string swapped : {"x/sub", "x"}) {
        CAPTURE(swapped);
        TempDir t;
        const std::string content = noise(10000, 9);
        t.write("keep", content);
        t.write("x/sub/copy", content);
        Found f(t.path.string());
        REQUIRE(f.groups.size() == 1);
        const File& keep = f.groups[0].files[0];
        const File& copy = f.groups[0].files[1];
        REQUIRE(copy.names[0].path == t / "x/sub/copy");
        REQUIRE(::rename((t / swapped).c_str(), (t / "real").c_str()) == 0);
        REQUIRE(::symlink((t / "real").c_str(), (t / swapped).c_str()) == 0);
        std::string error;
        CHECK_FALSE(apply_action(f.context(ActionKind::remove), keep, copy, copy.names[0], error));
        CAPTURE(error);
        CHECK(error.find("symbolic link") != std::string::npos);
    }
}

TEST_CASE("apply_action: a symlink swapped in for the copy itself is not followed") {
    for (ActionKind kind : kinds) {
        CAPTURE(std::string(kind_name(kind)));
        ActTree a;
        REQUIRE(::rename((a.t / "sub/copy").c_str(), (a.t / "moved").c_str()) == 0);
        REQUIRE(::symlink("../moved", (a.t / "sub/copy").c_str()) == 0);
        std::string error;
        CHECK_FALSE(a.apply(kind, error));
        CHECK_FALSE(error.empty());
        CHECK(S_ISLNK(lstat_of(a.t / "sub/copy").st_mode));
        CHECK(read_all(a.t / "moved") == a.content);
        CHECK(lstat_of(a.t / "keep").st_nlink == 1);
    }
}

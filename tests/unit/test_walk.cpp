#include "fs/walk.hpp"

#include "as_nobody.hpp"
#include "tmpdir.hpp"

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <vector>

using namespace syskit::fs;

namespace {

struct Seen {
    std::mutex mu;
    std::map<std::string, int> depth;        // path -> depth, for entries without error
    std::map<std::string, int> errors;       // path -> errno
    std::map<std::string, mode_t> type;
    int visits = 0;
};

Visit recorder(Seen& seen) {
    return [&seen](const Entry& e) {
        std::lock_guard lock(seen.mu);
        ++seen.visits;
        if (e.error) {
            seen.errors[std::string(e.path)] = e.error;
        } else {
            seen.depth[std::string(e.path)] = e.depth;
            seen.type[std::string(e.path)] = e.type;
        }
        return Action::next;
    };
}

WalkOptions options(const std::string& root, unsigned flags = 0) {
    WalkOptions o;
    o.roots = {root};
    o.flags = flags;
    o.threads = 2;
    return o;
}

/// root/{a/{x,y/{z}},b,.hidden}
void small_tree(const TempDir& t) {
    t.write("a/x", "x");
    t.write("a/y/z", "z");
    t.write("b", "b");
    t.write(".hidden", "");
}

} // namespace

TEST_CASE("every entry is visited exactly once, with its depth") {
    TempDir t;
    small_tree(t);
    Seen seen;
    CHECK(walk(options(t.path.string(), walk_stat), recorder(seen)));
    std::string r = t.path.string();
    CHECK(seen.visits == 7);
    CHECK(seen.errors.empty());
    CHECK(seen.depth == std::map<std::string, int>{{r, 0},
                                                   {r + "/a", 1},
                                                   {r + "/a/x", 2},
                                                   {r + "/a/y", 2},
                                                   {r + "/a/y/z", 3},
                                                   {r + "/b", 1},
                                                   {r + "/.hidden", 1}});
    CHECK(seen.type[r + "/a"] == S_IFDIR);
    CHECK(seen.type[r + "/b"] == S_IFREG);
}

TEST_CASE("a root given with a trailing slash joins names without doubling it") {
    TempDir t;
    small_tree(t);
    Seen seen;
    walk(options(t.path.string() + "/"), recorder(seen));
    CHECK(seen.depth.count(t.path.string() + "/a/x") == 1);
}

TEST_CASE("max_depth limits what is visited") {
    TempDir t;
    small_tree(t);
    for (int depth : {0, 1, 2}) {
        Seen seen;
        auto o = options(t.path.string());
        o.max_depth = depth;
        walk(o, recorder(seen));
        int deepest = 0;
        for (auto& [p, d] : seen.depth)
            deepest = std::max(deepest, d);
        CHECK(deepest == depth);
        CHECK(seen.visits == std::vector<int>{1, 4, 6}[static_cast<std::size_t>(depth)]);
    }
}

TEST_CASE("excluded entries are neither visited nor entered") {
    TempDir t;
    small_tree(t);
    Seen seen;
    auto o = options(t.path.string());
    o.exclude.add("y");
    o.exclude.add("*/b");
    walk(o, recorder(seen));
    std::string r = t.path.string();
    CHECK(seen.depth.count(r + "/a/y") == 0);
    CHECK(seen.depth.count(r + "/a/y/z") == 0);
    CHECK(seen.depth.count(r + "/b") == 0);
    CHECK(seen.depth.count(r + "/a/x") == 1);
}

TEST_CASE("prune skips a directory's content, stop ends the walk") {
    TempDir t;
    small_tree(t);
    Seen seen;
    std::string r = t.path.string();
    walk(options(r), [&](const Entry& e) {
        recorder(seen)(e);
        return e.name == "a" ? Action::prune : Action::next;
    });
    CHECK(seen.depth.count(r + "/a") == 1);
    CHECK(seen.depth.count(r + "/a/x") == 0);

    int visits = 0;
    CHECK_FALSE(walk(options(r), [&](const Entry&) {
        ++visits;
        return Action::stop;
    }));
    CHECK(visits == 1);
}

TEST_CASE("a missing root is reported with ENOENT and the other roots are walked") {
    TempDir t;
    small_tree(t);
    Seen seen;
    auto o = options(t / "missing");
    o.roots.push_back(t / "a");
    walk(o, recorder(seen));
    CHECK(seen.errors == std::map<std::string, int>{{t / "missing", ENOENT}});
    CHECK(seen.depth.count(t / "a/y/z") == 1);
}

TEST_CASE("names are bytes: newlines and invalid UTF-8 survive") {
    TempDir t;
    std::string odd1 = "new\nline", odd2 = "bad\xff\xfe name";
    t.write(odd1, "");
    t.write(odd2, "");
    Seen seen;
    walk(options(t.path.string()), recorder(seen));
    CHECK(seen.depth.count(t / odd1) == 1);
    CHECK(seen.depth.count(t / odd2) == 1);
}

TEST_CASE("the callback can use dirfd and at_name for *at calls") {
    TempDir t;
    small_tree(t);
    std::atomic<int> ok{0}, bad{0};
    walk(options(t.path.string()), [&](const Entry& e) {
        struct stat st;
        (fstatat(e.dirfd, std::string(e.at_name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? ok : bad)++;
        return Action::next;
    });
    CHECK(ok == 7);
    CHECK(bad == 0);
}

TEST_CASE("symlinks are not followed unless asked; cycles are detected when following") {
    TempDir t;
    small_tree(t);
    REQUIRE(symlink("..", (t / "a/up").c_str()) == 0);
    REQUIRE(symlink("a", (t / "link-to-a").c_str()) == 0);
    std::string r = t.path.string();

    Seen plain;
    walk(options(r), recorder(plain));
    CHECK(plain.type[r + "/a/up"] == S_IFLNK);
    CHECK(plain.depth.count(r + "/link-to-a/x") == 0);
    CHECK(plain.errors.empty());

    Seen follow;
    CHECK(walk(options(r, walk_follow), recorder(follow)));
    CHECK(follow.type[r + "/link-to-a"] == S_IFDIR);
    CHECK(follow.depth.count(r + "/link-to-a/x") == 1);
    // a/up leads back to the root: reported once as a loop, not walked again.
    CHECK(follow.errors.count(r + "/a/up") == 1);
    CHECK(follow.errors[r + "/a/up"] == ELOOP);
    CHECK(follow.depth.count(r + "/a/up/a") == 0);
}

TEST_CASE("a dangling symlink is visited as a symlink when following") {
    TempDir t;
    REQUIRE(symlink("nowhere", (t / "dangling").c_str()) == 0);
    Seen seen;
    walk(options(t.path.string(), walk_follow), recorder(seen));
    CHECK(seen.type[t / "dangling"] == S_IFLNK);
}

TEST_CASE("following, a link that cannot be followed carries why: ELOOP for a loop, ENOENT when dangling") {
    TempDir t;
    REQUIRE(symlink("nowhere", (t / "dangling").c_str()) == 0);
    REQUIRE(symlink("self", (t / "self").c_str()) == 0);
    REQUIRE(symlink("ping", (t / "pong").c_str()) == 0);
    REQUIRE(symlink("pong", (t / "ping").c_str()) == 0);
    REQUIRE(symlink("dangling", (t / "fine").c_str()) == 0);
    for (unsigned flags : {unsigned{walk_follow}, walk_follow | walk_stat}) {
        std::mutex mu;
        std::map<std::string, int> why;
        walk(options(t.path.string(), flags), [&](const Entry& e) {
            std::lock_guard lock(mu);
            if (e.depth > 0)
                why[std::string(e.name)] = e.type == S_IFLNK && e.error == 0 ? e.link_error : -1;
            return Action::next;
        });
        CHECK(why == std::map<std::string, int>{{"dangling", ENOENT}, {"fine", ENOENT}, {"ping", ELOOP},
                                                {"pong", ELOOP}, {"self", ELOOP}});
        // The same links as roots.
        int link_error = -1;
        WalkOptions o = options(t / "self", flags);
        walk(o, [&](const Entry& e) {
            link_error = e.link_error;
            return Action::next;
        });
        CHECK(link_error == ELOOP);
    }
    // Not following, a link is just a link.
    int link_error = -1;
    walk(options(t / "self"), [&](const Entry& e) {
        link_error = e.link_error;
        return Action::next;
    });
    CHECK(link_error == 0);
}

TEST_CASE("follow_roots follows a root symlink and nothing below") {
    TempDir t;
    small_tree(t);
    REQUIRE(symlink("a", (t / "root-link").c_str()) == 0);
    REQUIRE(symlink("../b", (t / "a/inner-link").c_str()) == 0);
    Seen seen;
    walk(options(t / "root-link", walk_follow_roots), recorder(seen));
    CHECK(seen.type[t / "root-link"] == S_IFDIR);
    CHECK(seen.depth.count(t / "root-link/x") == 1);
    CHECK(seen.type[t / "root-link/inner-link"] == S_IFLNK);

    Seen plain;
    walk(options(t / "root-link"), recorder(plain));
    CHECK(plain.visits == 1);
    CHECK(plain.type[t / "root-link"] == S_IFLNK);
}

TEST_CASE("one_fs visits a mount point but does not enter it") {
    TempDir t;
    small_tree(t);
    t.mkdir("mnt");
    if (mount("syskit-test", (t / "mnt").c_str(), "tmpfs", 0, "size=1m") != 0) {
        MESSAGE("cannot mount a tmpfs here; skipped");
        return;
    }
    {
        int fd = open((t / "mnt/inside").c_str(), O_CREAT | O_WRONLY, 0644);
        close(fd);
        Seen crossing, staying;
        walk(options(t.path.string()), recorder(crossing));
        walk(options(t.path.string(), walk_one_fs), recorder(staying));
        CHECK(crossing.depth.count(t / "mnt/inside") == 1);
        CHECK(staying.depth.count(t / "mnt") == 1);
        CHECK(staying.depth.count(t / "mnt/inside") == 0);
    }
    umount((t / "mnt").c_str());
}

TEST_CASE("a bind mount of an ancestor is visited once as a loop and not entered, with or without statx") {
    TempDir t;
    small_tree(t);
    t.mkdir("a/y/loop");
    t.mkdir("bound");
    std::string r = t.path.string();
    if (mount(r.c_str(), (t / "a/y/loop").c_str(), nullptr, MS_BIND, nullptr) != 0) {
        MESSAGE("cannot bind mount here; skipped");
        return;
    }
    // A bind mount of a directory that is no ancestor is walked as usual.
    REQUIRE(mount((t / "a/y").c_str(), (t / "bound").c_str(), nullptr, MS_BIND, nullptr) == 0);
    for (unsigned flags : {0u, unsigned{walk_stat}}) {
        std::mutex mu;
        std::map<std::string, std::string> loops;
        std::set<std::string> seen;
        walk(options(r, flags), [&](const Entry& e) {
            std::lock_guard lock(mu);
            if (!e.loop_of.empty()) {
                CHECK(e.error == ELOOP);
                CHECK(entry_error(e) == "File system loop detected; it is " + r + " again");
                loops[std::string(e.path)] = std::string(e.loop_of);
            } else {
                CHECK(e.error == 0);
                seen.insert(std::string(e.path));
            }
            return Action::next;
        });
        CHECK(loops == std::map<std::string, std::string>{{r + "/a/y/loop", r}});
        CHECK(seen.count(r + "/a/y/loop") == 0);
        CHECK(seen.count(r + "/a/y/loop/b") == 0);
        CHECK(seen.count(r + "/a/y/z") == 1);
        CHECK(seen.count(r + "/bound/z") == 1);
    }
    umount2((t / "bound").c_str(), MNT_DETACH);
    umount2((t / "a/y/loop").c_str(), MNT_DETACH);
}

TEST_CASE("an unreadable directory is reported with its errno and the walk goes on") {
    TempDir t;
    small_tree(t);
    t.mkdir("locked/inner", 0755);
    chmod((t / "locked").c_str(), 0);
    chmod(t.path.c_str(), 0755);
    CHECK(as_nobody([&] {
        Seen seen;
        walk(options(t.path.string()), recorder(seen));
        bool reported = seen.errors.size() == 1 && seen.errors.count(t / "locked") && seen.errors[t / "locked"] == EACCES;
        bool went_on = seen.depth.count(t / "a/y/z") == 1 && seen.depth.count(t / "locked") == 1;
        return reported && went_on;
    }));
}

TEST_CASE("depth is not limited by PATH_MAX or the stack") {
    TempDir t;
    const int levels = 3000; // "/d" per level: 6000 bytes, past PATH_MAX
    int fd = open(t.path.c_str(), O_DIRECTORY | O_RDONLY);
    std::vector<int> fds{fd};
    for (int i = 0; i < levels; ++i) {
        REQUIRE(mkdirat(fds.back(), "d", 0755) == 0);
        fds.push_back(openat(fds.back(), "d", O_DIRECTORY | O_RDONLY));
        REQUIRE(fds.back() >= 0);
    }
    std::atomic<int> deepest{0}, errors{0};
    walk(options(t.path.string()), [&](const Entry& e) {
        if (e.error)
            ++errors;
        int d = deepest.load();
        while (e.depth > d && !deepest.compare_exchange_weak(d, e.depth)) {
        }
        return Action::next;
    });
    CHECK(errors == 0);
    CHECK(deepest == levels);
    // std::filesystem::remove_all cannot remove what is deeper than PATH_MAX: unwind by hand.
    for (int i = levels; i > 0; --i) {
        close(fds[static_cast<std::size_t>(i)]);
        REQUIRE(unlinkat(fds[static_cast<std::size_t>(i) - 1], "d", AT_REMOVEDIR) == 0);
    }
    close(fds[0]);
}

TEST_CASE("a wide tree walked by many threads: every entry once, counters agree") {
    TempDir t;
    for (int d = 0; d < 40; ++d)
        for (int f = 0; f < 25; ++f)
            t.write(fmt::format("d{}/s/f{}", d, f), "");
    Seen seen;
    WalkCounters counters;
    auto o = options(t.path.string());
    o.threads = 8;
    walk(o, recorder(seen), &counters);
    CHECK(seen.visits == 1 + 40 * 2 + 40 * 25);
    CHECK(static_cast<int>(seen.depth.size()) == seen.visits);
    CHECK(counters.entries == static_cast<std::uint64_t>(seen.visits));
    CHECK(counters.dirs == 1 + 40 * 2);
}

TEST_CASE("a directory larger than one getdents64 buffer is walked whole") {
    TempDir t;
    // 2000 names of 100 bytes: about 240 KiB of records, several buffers of 64 KiB.
    const std::string pad(96, 'n');
    for (int i = 0; i < 2000; ++i)
        t.write(fmt::format("big/{}{}", pad, i), "");
    Seen seen;
    walk(options(t.path.string()), recorder(seen));
    CHECK(seen.errors.empty());
    CHECK(seen.visits == 2 + 2000);
    CHECK(seen.depth.size() == 2 + 2000);
    CHECK(seen.depth[t / ("big/" + pad + "1999")] == 2);
}

TEST_CASE("io_threads are counted by walk_threads, and every worker index stays below it") {
    TempDir t;
    for (int d = 0; d < 20; ++d)
        for (int f = 0; f < 5; ++f)
            t.write(fmt::format("d{}/f{}", d, f), "");
    auto o = options(t.path.string());
    o.threads = 2;
    o.io_threads = 6;
    CHECK(walk_threads(o) == 8);
    Seen seen;
    std::atomic<unsigned> highest{0};
    auto record = recorder(seen);
    walk(o, [&](const Entry& e) {
        unsigned w = highest.load();
        while (e.worker > w && !highest.compare_exchange_weak(w, e.worker)) {
        }
        return record(e);
    });
    CHECK(seen.visits == 1 + 20 + 20 * 5);
    CHECK(static_cast<int>(seen.depth.size()) == seen.visits);
    CHECK(highest.load() < walk_threads(o));
}

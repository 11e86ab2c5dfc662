#include "notify/inotify.hpp"

#include "tmpdir.hpp"
#include "elapsed.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

using namespace syskit::notify;

namespace {

/// One record as the kernel writes it: struct inotify_event, then len bytes holding name and
/// NUL padding.  A name as long as len (or longer: cut) has no NUL.
std::string record(int wd, std::uint32_t mask, std::uint32_t cookie, std::string_view name, std::uint32_t len) {
    struct inotify_event h {};
    h.wd = wd;
    h.mask = mask;
    h.cookie = cookie;
    h.len = len;
    std::string s(reinterpret_cast<const char*>(&h), sizeof h);
    std::string n(name.substr(0, len));
    n.resize(len, '\0');
    return s + n;
}

/// A record with its name padded as the kernel pads it: a NUL, then up to a multiple of 16.
std::string padded(int wd, std::uint32_t mask, std::uint32_t cookie, std::string_view name) {
    std::uint32_t len = name.empty() ? 0 : static_cast<std::uint32_t>((name.size() + 1 + 15) / 16 * 16);
    return record(wd, mask, cookie, name, len);
}

struct Parsed {
    bool ok;
    std::vector<RawEvent> events;
    std::vector<std::string> names; // copies: the views point into the buffer
};

/// Parses bytes placed at offset in a heap block that ends where they end, so that ASan sees
/// any read past them (and an offset makes the records unaligned).
Parsed parse(const std::string& bytes, std::size_t offset = 0) {
    std::size_t total = offset + bytes.size();
    std::unique_ptr<char[]> buf(new char[total ? total : 1]);
    std::memcpy(buf.get() + offset, bytes.data(), bytes.size());
    const char* start = buf.get() + offset;
    Parsed p;
    p.ok = parse_records(start, bytes.size(), [&](const RawEvent& e) {
        if (!e.name.empty()) {
            CHECK(e.name.data() >= start);
            CHECK(e.name.data() + e.name.size() <= start + bytes.size());
        }
        p.events.push_back(e);
        p.names.emplace_back(e.name);
    });
    return p;
}

struct Reports {
    std::vector<std::pair<std::string, std::string>> list;
    Report fn() {
        return [this](std::string_view path, std::string_view message) { list.emplace_back(path, message); };
    }
};

/// Reads events until done() holds, or limit seconds passed (then false).
template <class Done>
bool read_until(Watcher& w, std::vector<Event>& out, Done done, double limit = 10.0) {
    auto t0 = std::chrono::steady_clock::now();
    while (!done()) {
        if (seconds_since(t0) > limit)
            return false;
        pollfd p{w.fd(), POLLIN, 0};
        ::poll(&p, 1, 20);
        REQUIRE(w.read_events(out));
    }
    return true;
}

/// Reads whatever comes during seconds.
void read_for(Watcher& w, std::vector<Event>& out, double seconds) {
    read_until(w, out, [] { return false; }, seconds);
}

void touch(const std::string& path) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    ::close(fd);
}

std::size_t count_creates(const std::vector<Event>& events, const std::string& path) {
    std::size_t n = 0;
    for (const auto& e : events)
        n += e.path == path && (e.mask & IN_CREATE);
    return n;
}

const Event* find(const std::vector<Event>& events, const std::string& path, std::uint32_t bit) {
    for (const auto& e : events)
        if (e.path == path && (e.mask & bit))
            return &e;
    return nullptr;
}

} // namespace

// --- parse_records ----------------------------------------------------------------------

TEST_CASE("parse_records: good records, with and without names") {
    std::string buf = padded(1, IN_CREATE, 0, "file") + padded(2, IN_MODIFY | IN_ISDIR, 0, "") +
                      padded(3, IN_MOVED_FROM, 77, "a-name-longer-than-sixteen-bytes");
    Parsed p = parse(buf);
    CHECK(p.ok);
    REQUIRE(p.events.size() == 3);
    CHECK(p.events[0].wd == 1);
    CHECK(p.events[0].mask == IN_CREATE);
    CHECK(p.names[0] == "file");
    CHECK(p.events[1].wd == 2);
    CHECK(p.events[1].mask == (IN_MODIFY | IN_ISDIR));
    CHECK(p.names[1].empty());
    CHECK(p.events[2].cookie == 77);
    CHECK(p.names[2] == "a-name-longer-than-sixteen-bytes");
}

TEST_CASE("parse_records: the NUL padding is not part of the name") {
    std::string buf = record(5, IN_DELETE, 0, "ab", 32) + record(6, IN_DELETE, 0, "c", 2);
    Parsed p = parse(buf);
    CHECK(p.ok);
    REQUIRE(p.names.size() == 2);
    CHECK(p.names[0] == "ab");
    CHECK(p.names[0].size() == 2);
    CHECK(p.names[1] == "c");
    // A name that is all padding is the watched object itself.
    p = parse(record(5, IN_ATTRIB, 0, "", 16));
    CHECK(p.ok);
    REQUIRE(p.names.size() == 1);
    CHECK(p.names[0].empty());
}

TEST_CASE("parse_records: names are bytes") {
    std::string name("new\nline\xff\xfe", 10);
    Parsed p = parse(padded(1, IN_CREATE, 0, name));
    CHECK(p.ok);
    REQUIRE(p.names.size() == 1);
    CHECK(p.names[0] == name);
}

TEST_CASE("parse_records: an empty buffer has no records") {
    Parsed p = parse("");
    CHECK(p.ok);
    CHECK(p.events.empty());
}

TEST_CASE("parse_records: records at any alignment") {
    std::string buf = padded(1, IN_CREATE, 0, "x") + padded(2, IN_DELETE, 0, "y");
    for (std::size_t off = 1; off < 8; ++off) {
        Parsed p = parse(buf, off);
        CHECK(p.ok);
        REQUIRE(p.names.size() == 2);
        CHECK(p.names[1] == "y");
        CHECK(p.events[1].wd == 2);
    }
}

TEST_CASE("parse_records: a truncated record stops the parse after the good ones") {
    std::string good = padded(1, IN_CREATE, 0, "first");
    std::string next = padded(2, IN_CREATE, 0, "second");
    // Cut in the header, then in the name.
    for (std::size_t cut : {std::size_t{1}, sizeof(struct inotify_event) - 1, sizeof(struct inotify_event),
                            sizeof(struct inotify_event) + 3, next.size() - 1}) {
        CAPTURE(cut);
        Parsed p = parse(good + next.substr(0, cut));
        CHECK_FALSE(p.ok);
        REQUIRE(p.names.size() == 1);
        CHECK(p.names[0] == "first");
    }
}

TEST_CASE("parse_records: a name without its NUL is refused") {
    Parsed p = parse(padded(1, IN_CREATE, 0, "ok") + record(2, IN_CREATE, 0, "abcd", 4));
    CHECK_FALSE(p.ok);
    REQUIRE(p.names.size() == 1);
    CHECK(p.names[0] == "ok");
    // Alone, and as long as the buffer.
    p = parse(record(2, IN_CREATE, 0, std::string(64, 'n'), 64));
    CHECK_FALSE(p.ok);
    CHECK(p.events.empty());
}

TEST_CASE("parse_records: a len past the end is refused") {
    std::string rec = record(3, IN_CREATE, 0, "name", 16);
    // Claim more bytes than the buffer holds.
    struct inotify_event h;
    std::memcpy(&h, rec.data(), sizeof h);
    for (std::uint32_t len : {17u, 100u, 0x7fffffffu, 0xffffffffu}) {
        CAPTURE(len);
        h.len = len;
        std::string bad(reinterpret_cast<const char*>(&h), sizeof h);
        bad += rec.substr(sizeof h);
        Parsed p = parse(padded(1, IN_DELETE, 0, "before") + bad);
        CHECK_FALSE(p.ok);
        REQUIRE(p.names.size() == 1);
        CHECK(p.names[0] == "before");
    }
}

// --- event names --------------------------------------------------------------------------

TEST_CASE("parse_events: every word inotifywait takes") {
    std::string bad;
    std::map<std::string, std::uint32_t> words{
        {"access", IN_ACCESS},           {"modify", IN_MODIFY},           {"attrib", IN_ATTRIB},
        {"close_write", IN_CLOSE_WRITE}, {"close_nowrite", IN_CLOSE_NOWRITE}, {"close", IN_CLOSE},
        {"open", IN_OPEN},               {"moved_from", IN_MOVED_FROM},   {"moved_to", IN_MOVED_TO},
        {"move", IN_MOVE},               {"create", IN_CREATE},           {"delete", IN_DELETE},
        {"delete_self", IN_DELETE_SELF}, {"move_self", IN_MOVE_SELF},     {"all", IN_ALL_EVENTS},
    };
    for (const auto& [name, mask] : words) {
        const std::string& word = name; // CAPTURE is a lambda, which clang 14 cannot give a binding
        CAPTURE(word);
        CHECK(parse_events(word, bad) == mask);
    }
    CHECK(parse_events("create,delete,move", bad) == (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO));
    CHECK(parse_events("close_write,close_write", bad) == IN_CLOSE_WRITE);
}

TEST_CASE("parse_events: an unknown word is named") {
    std::string bad;
    CHECK(parse_events("bogus", bad) == 0);
    CHECK(bad == "bogus");
    CHECK(parse_events("create,bogus,delete", bad) == 0);
    CHECK(bad == "bogus");
    CHECK(parse_events("create,", bad) == 0);
    CHECK(bad.empty());
    bad.assign(1, 'x'); // not = "x": g++ 12 warns falsely (-Wrestrict) on that assignment here
    CHECK(parse_events("", bad) == 0);
    CHECK(bad.empty());
    CHECK(parse_events("create delete", bad) == 0);
    CHECK(bad == "create delete");
}

TEST_CASE("mask_names: as inotifywait prints them") {
    CHECK(mask_names(0) == "");
    CHECK(mask_names(IN_CREATE) == "CREATE");
    CHECK(mask_names(IN_CREATE | IN_ISDIR) == "CREATE,ISDIR");
    CHECK(mask_names(IN_MOVED_FROM | IN_MOVED_TO) == "MOVED_FROM,MOVED_TO");
    CHECK(mask_names(IN_MOVED_TO | IN_MOVED_FROM | IN_ISDIR) == "MOVED_FROM,MOVED_TO,ISDIR");
    CHECK(mask_names(IN_CLOSE_WRITE | IN_MODIFY) == "MODIFY,CLOSE_WRITE");
    CHECK(mask_names(IN_Q_OVERFLOW) == "Q_OVERFLOW");
    CHECK(mask_names(IN_IGNORED) == "IGNORED");
    CHECK(mask_names(IN_UNMOUNT) == "UNMOUNT");
    CHECK(mask_names(IN_DELETE_SELF) == "DELETE_SELF");
    // Every name is listed once, with one bit.
    std::set<std::string_view> seen;
    std::uint32_t all = 0;
    for (const auto& [name, bit] : event_names()) {
        CHECK(seen.insert(name).second);
        CHECK((bit & (bit - 1)) == 0);
        CHECK((all & bit) == 0);
        all |= bit;
        CHECK(mask_names(bit) == name);
    }
    CHECK((all & IN_ALL_EVENTS) == IN_ALL_EVENTS);
}

// --- Watcher ------------------------------------------------------------------------------

TEST_CASE("Watcher: a missing root is refused and reported") {
    TempDir t;
    Reports r;
    Watcher w(IN_ALL_EVENTS, true, {}, r.fn());
    CHECK_FALSE(w.add_root(t / "nope"));
    REQUIRE(r.list.size() == 1);
    CHECK(r.list[0].first == t / "nope");
    CHECK(r.list[0].second == "No such file or directory");
    CHECK(w.watches() == 0);
}

TEST_CASE("Watcher: recursive set-up watches every directory, not below an excluded one") {
    TempDir t;
    t.mkdir("a/b/c");
    t.mkdir("a/d");
    t.mkdir("skip/inside");
    t.write("a/file", "x");
    Reports r;
    Watcher w(IN_CREATE, true, syskit::fs::GlobSet({"skip"}), r.fn());
    REQUIRE(w.add_root(t.path.string()));
    CHECK(w.watches() == 5); // root, a, a/b, a/b/c, a/d
    CHECK(r.list.empty());

    Watcher flat(IN_CREATE, false, {}, r.fn());
    REQUIRE(flat.add_root(t.path.string()));
    CHECK(flat.watches() == 1);
}

TEST_CASE("Watcher: plain events carry the path and the mask asked for") {
    TempDir t;
    t.write("f", "x");
    Reports r;
    Watcher w(IN_MODIFY | IN_ATTRIB | IN_DELETE, false, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    {
        int fd = ::open((t / "f").c_str(), O_WRONLY | O_APPEND);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, "y", 1) == 1);
        ::close(fd); // close_write: not asked for
    }
    ::chmod((t / "f").c_str(), 0600);
    ::unlink((t / "f").c_str());
    touch(t / "g"); // create: not asked for
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return find(ev, t / "f", IN_DELETE) != nullptr; }));
    read_for(w, ev, 0.2);
    REQUIRE(ev.size() == 3);
    CHECK(ev[0].mask == IN_MODIFY);
    CHECK(ev[1].mask == IN_ATTRIB);
    CHECK(ev[2].mask == IN_DELETE);
    for (const auto& e : ev) {
        CHECK(e.path == t / "f");
        CHECK_FALSE(e.is_dir);
        CHECK_FALSE(e.synthetic);
        CHECK(e.from.empty());
    }
}

TEST_CASE("Watcher: a new directory's content before its watch is synthetic, after it is not") {
    TempDir t;
    Reports r;
    Watcher w(IN_CREATE, true, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    // Made before the watcher reads anything: only the scan can find b and f.
    t.mkdir("a/b");
    touch(t / "a/b/f");
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return count_creates(ev, t / "a/b/f") > 0; }));
    CHECK(w.watches() == 3);
    touch(t / "a/b/g");
    CHECK(read_until(w, ev, [&] { return count_creates(ev, t / "a/b/g") > 0; }));
    read_for(w, ev, 0.2);
    REQUIRE(ev.size() == 4);
    CHECK(ev[0].path == t / "a");
    CHECK(ev[0].is_dir);
    CHECK(ev[0].mask == (IN_CREATE | IN_ISDIR));
    CHECK_FALSE(ev[0].synthetic);
    CHECK(ev[1].path == t / "a/b");
    CHECK(ev[1].is_dir);
    CHECK(ev[1].synthetic);
    CHECK(ev[2].path == t / "a/b/f");
    CHECK_FALSE(ev[2].is_dir);
    CHECK(ev[2].synthetic);
    CHECK(ev[3].path == t / "a/b/g");
    CHECK_FALSE(ev[3].synthetic);
}

TEST_CASE("Watcher: no gap and no repeat while directories appear under it (synthetic dedupe)") {
    // A second thread makes a/b/c/f trees as fast as it can while the watcher reads: some files
    // land before their directory's watch (the scan finds them), some after (the kernel tells),
    // some in between (both see them: the kernel's create must be dropped).
    TempDir t;
    Reports r;
    Watcher w(IN_CREATE, true, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    const int n = 300;
    std::atomic<bool> done{false};
    std::thread maker([&] {
        for (int i = 0; i < n; ++i) {
            std::string a = t / fmt::format("a{}", i);
            ::mkdir(a.c_str(), 0755);
            ::mkdir((a + "/b").c_str(), 0755);
            ::mkdir((a + "/b/c").c_str(), 0755);
            touch(a + "/b/c/f");
            touch(a + "/b/g");
        }
        done = true;
    });
    std::vector<Event> ev;
    std::set<std::string> expected;
    for (int i = 0; i < n; ++i) {
        std::string a = t / fmt::format("a{}", i);
        for (const char* s : {"", "/b", "/b/c", "/b/c/f", "/b/g"})
            expected.insert(a + s);
    }
    bool all = read_until(w, ev, [&] {
        if (!done)
            return false;
        std::set<std::string> got;
        for (const auto& e : ev)
            got.insert(e.path);
        return got == expected;
    });
    maker.join();
    read_for(w, ev, 0.3);
    CHECK(all);
    std::map<std::string, int> seen;
    int synthetic = 0;
    for (const auto& e : ev) {
        CHECK((e.mask & IN_CREATE) != 0);
        ++seen[e.path];
        synthetic += e.synthetic;
    }
    INFO(synthetic << " of " << ev.size() << " creates found by scans");
    std::vector<std::string> missing, repeated;
    for (const auto& p : expected)
        if (!seen.count(p))
            missing.push_back(p);
    for (const auto& [p, k] : seen)
        if (k != 1)
            repeated.push_back(p);
    CHECK_MESSAGE(missing.empty(), missing.size() << " missing, first " << (missing.empty() ? "" : missing[0]));
    CHECK_MESSAGE(repeated.empty(), repeated.size() << " repeated, first " << (repeated.empty() ? "" : repeated[0]));
    CHECK(seen.size() == expected.size());
    CHECK(w.watches() == 1 + 3 * n);
    CHECK(r.list.empty());
}

TEST_CASE("Watcher: a move inside the tree is one event with both names") {
    TempDir t;
    t.write("f", "x");
    Reports r;
    Watcher w(IN_MOVE | IN_CREATE, false, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    REQUIRE(::rename((t / "f").c_str(), (t / "g").c_str()) == 0);
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return !ev.empty(); }));
    read_for(w, ev, 0.2);
    CHECK_FALSE(w.pending());
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "g");
    CHECK(ev[0].from == t / "f");
    CHECK(ev[0].mask == (IN_MOVED_FROM | IN_MOVED_TO));
    CHECK_FALSE(ev[0].is_dir);
}

TEST_CASE("Watcher: a move out of the tree waits for its other half, then is moved_from alone") {
    TempDir t;
    t.mkdir("w");
    t.mkdir("outside");
    t.write("w/f", "x");
    Reports r;
    Watcher w(IN_MOVE, false, {}, r.fn());
    REQUIRE(w.add_root(t / "w"));
    REQUIRE(::rename((t / "w/f").c_str(), (t / "outside/f").c_str()) == 0);
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return w.pending() || !ev.empty(); }));
    if (w.pending()) {
        CHECK(ev.empty());
        w.flush(ev);
        CHECK_FALSE(w.pending());
    }
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "w/f");
    CHECK(ev[0].from.empty());
    CHECK(ev[0].mask == IN_MOVED_FROM);
    // Moved in from outside: moved_to alone.
    REQUIRE(::rename((t / "outside/f").c_str(), (t / "w/g").c_str()) == 0);
    ev.clear();
    CHECK(read_until(w, ev, [&] { return !ev.empty(); }));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "w/g");
    CHECK(ev[0].mask == IN_MOVED_TO);
    CHECK(ev[0].from.empty());
}

TEST_CASE("Watcher: a directory moved inside the tree keeps its watches under the new path") {
    TempDir t;
    t.mkdir("a/b/c");
    Reports r;
    Watcher w(IN_CREATE | IN_MOVE, true, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    REQUIRE(w.watches() == 4);
    REQUIRE(::rename((t / "a").c_str(), (t / "z").c_str()) == 0);
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return !ev.empty(); }));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "z");
    CHECK(ev[0].from == t / "a");
    CHECK(ev[0].is_dir);
    CHECK(ev[0].mask == (IN_MOVED_FROM | IN_MOVED_TO | IN_ISDIR));
    touch(t / "z/b/c/f");
    touch(t / "z/g");
    ev.clear();
    CHECK(read_until(w, ev, [&] { return ev.size() >= 2; }));
    read_for(w, ev, 0.2);
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].path == t / "z/b/c/f");
    CHECK(ev[1].path == t / "z/g");
    CHECK(w.watches() == 4);
}

TEST_CASE("Watcher: a directory moved out of the tree is forgotten") {
    TempDir t;
    t.mkdir("w/sub/deeper");
    t.mkdir("outside");
    Reports r;
    Watcher w(IN_CREATE | IN_MOVE, true, {}, r.fn());
    REQUIRE(w.add_root(t / "w"));
    REQUIRE(w.watches() == 3);
    REQUIRE(::rename((t / "w/sub").c_str(), (t / "outside/sub").c_str()) == 0);
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return w.pending() || !ev.empty(); }));
    w.flush(ev);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "w/sub");
    CHECK(ev[0].mask == (IN_MOVED_FROM | IN_ISDIR));
    CHECK(w.watches() == 1);
    touch(t / "outside/sub/deeper/f");
    touch(t / "w/end");
    ev.clear();
    CHECK(read_until(w, ev, [&] { return count_creates(ev, t / "w/end") > 0; }));
    read_for(w, ev, 0.2);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "w/end");
}

TEST_CASE("Watcher: a directory made and renamed before the watcher reads is still watched") {
    // The create's scan finds nothing under the old name; the paired move must watch the new one.
    TempDir t;
    Reports r;
    Watcher w(IN_CREATE, true, {}, r.fn());
    REQUIRE(w.add_root(t.path.string()));
    t.mkdir("x");
    REQUIRE(::rename((t / "x").c_str(), (t / "y").c_str()) == 0);
    std::vector<Event> ev;
    read_for(w, ev, 0.3);
    w.flush(ev);
    CHECK(w.watches() == 2);
    touch(t / "y/f");
    ev.clear();
    read_until(w, ev, [&] { return count_creates(ev, t / "y/f") > 0; }, 2.0);
    CHECK(count_creates(ev, t / "y/f") == 1);
}

TEST_CASE("Watcher: excluded entries are neither watched nor reported") {
    TempDir t;
    Reports r;
    Watcher w(IN_CREATE, true, syskit::fs::GlobSet({"*.tmp", "cache"}), r.fn());
    REQUIRE(w.add_root(t.path.string()));
    touch(t / "a.tmp");
    t.mkdir("cache");
    touch(t / "b");
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return count_creates(ev, t / "b") > 0; }));
    touch(t / "cache/inside");
    read_for(w, ev, 0.3);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "b");
    CHECK(w.watches() == 1);
}

TEST_CASE("Watcher: a root removed is reported") {
    TempDir t;
    t.mkdir("w");
    Reports r;
    Watcher w(IN_DELETE_SELF, false, {}, r.fn());
    REQUIRE(w.add_root(t / "w"));
    REQUIRE(::rmdir((t / "w").c_str()) == 0);
    std::vector<Event> ev;
    CHECK(read_until(w, ev, [&] { return !r.list.empty(); }));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].path == t / "w");
    CHECK(ev[0].mask == IN_DELETE_SELF);
    REQUIRE(r.list.size() == 1);
    CHECK(r.list[0].first == t / "w");
    CHECK(r.list[0].second.find("no longer watched") != std::string::npos);
    CHECK(w.watches() == 0);
}

// usbtidy/organize: moves into folders, collisions, names left alone, and undo restoring the
// layout exactly, also after a run that stopped between its journal and its renames.
#include "tmpdir.hpp"
#include "usbtidy/journal.hpp"
#include "usbtidy/organize.hpp"

#include "fs/fd.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::usbtidy;

namespace {

/// Every path under root, relative, with a '/' after directories.
std::set<std::string> layout(const std::filesystem::path& root) {
    std::set<std::string> out;
    for (auto& e : std::filesystem::recursive_directory_iterator(root))
        out.insert(std::filesystem::relative(e.path(), root).string() + (e.is_directory() ? "/" : ""));
    return out;
}

struct Run {
    std::vector<Move> moves;
    std::vector<std::string> problems;
    Events events() {
        return {[this](const Move& m) { moves.push_back(m); },
                [this](std::string_view s, std::string_view m) { problems.push_back(std::string(s) + ": " + std::string(m)); }};
    }
};

fs::UniqueFd open_dir(const TempDir& t) {
    return fs::UniqueFd(::open(t.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

} // namespace

TEST_CASE("usbtidy organizes into folders and undo puts everything back") {
    TempDir t;
    t.write("a.jpg", "1");
    t.write("b.JPG", "2");
    t.write("jpg/a.jpg", "old");
    t.write("notes", "3");
    t.write("ro.txt", "4", 0444);
    t.write(".hidden.txt", "5");
    t.write("new\nline\xff.txt", "6");
    t.mkdir("System Volume Information");
    t.mkdir("docs.d");
    ::symlink("a.jpg", (t / "link.jpg").c_str());
    auto before = layout(t.path);
    auto fd = open_dir(t);
    Run run;
    auto sum = organize(fd.get(), Rules{}, {.dir = "D", .dry_run = false}, run.events());
    CHECK(run.problems.empty());
    CHECK(sum.moved == 5);
    CHECK_FALSE(sum.stopped);
    std::set<std::string> want{".hidden.txt", ".usbtidy-journal", "System Volume Information/", "docs.d/",
                               "link.jpg",    "jpg/",             "jpg/a.jpg",                  "jpg/a (1).jpg",
                               "jpg/b.JPG",   "other/",           "other/notes",                "txt/",
                               "txt/ro.txt",  "txt/new\nline\xff.txt"};
    CHECK(layout(t.path) == want);
    struct stat st;
    REQUIRE(::stat((t / "txt/ro.txt").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0444);

    Run back;
    auto u = undo(fd.get(), "D", back.events());
    CHECK(back.problems.empty());
    CHECK(u.moved == 5);
    CHECK(layout(t.path) == before);
}

TEST_CASE("usbtidy dry runs change nothing and predict the collisions") {
    TempDir t;
    t.write("a.jpg", "1");
    t.write("jpg/a.jpg", "old");
    t.write("c.txt", "3");
    auto before = layout(t.path);
    auto fd = open_dir(t);
    Run run;
    organize(fd.get(), Rules{}, {.dir = "D", .dry_run = true}, run.events());
    CHECK(layout(t.path) == before);
    REQUIRE(run.moves.size() == 2);
    CHECK(run.moves[0].name == "a (1).jpg");
    CHECK(run.moves[1].folder == "txt");
}

TEST_CASE("usbtidy undo after a run stopped between its journal and its renames") {
    TempDir t;
    t.write("a.jpg", "1");
    t.write("b.png", "22");
    t.write("c.png", "333");
    auto before = layout(t.path);
    auto fd = open_dir(t);
    struct statfs sfs;
    REQUIRE(::fstatfs(fd.get(), &sfs) == 0);
    // What organize leaves when it is killed after flushing a batch and making one rename
    // of three: every move journaled, one made, the folders journaled and made.
    JournalWriter j;
    std::string why;
    REQUIRE_MESSAGE(j.open(fd.get(), static_cast<std::uint32_t>(sfs.f_type), why), why);
    Record r;
    r.kind = Record::Kind::run;
    j.add(r);
    for (const char* f : {"jpg", "png"}) {
        r.kind = Record::Kind::mkdir;
        r.folder = f;
        j.add(r);
        t.mkdir(f);
    }
    for (auto [src, folder] : {std::pair{"a.jpg", "jpg"}, {"b.png", "png"}, {"c.png", "png"}}) {
        struct stat st;
        REQUIRE(::stat((t / src).c_str(), &st) == 0);
        r.kind = Record::Kind::move;
        r.src = r.name = src;
        r.folder = folder;
        r.size = static_cast<std::uint64_t>(st.st_size);
        r.mtime = st.st_mtim.tv_sec;
        j.add(r);
    }
    REQUIRE_MESSAGE(j.commit(why), why);
    std::filesystem::rename(t / "b.png", t / "png/b.png");

    Run back;
    auto u = undo(fd.get(), "D", back.events());
    CHECK(back.problems.empty());
    CHECK(u.moved == 1);
    CHECK(layout(t.path) == before);
}

TEST_CASE("usbtidy undo refuses a corrupt journal and leaves a name taken since alone") {
    TempDir t;
    t.write("a.jpg", "1");
    auto fd = open_dir(t);
    Run run;
    organize(fd.get(), Rules{}, {.dir = "D", .dry_run = false}, run.events());
    t.write("a.jpg", "a new file, another size");
    Run back;
    auto u = undo(fd.get(), "D", back.events());
    CHECK(u.moved == 0);
    REQUIRE(back.problems.size() == 2);
    CHECK(back.problems[0] == "D/a.jpg: taken by another file; jpg/a.jpg left where it is");
    CHECK(back.problems[1] == "D/jpg: not empty: left in place");
    CHECK(std::filesystem::exists(t / ".usbtidy-journal"));

    t.write(".usbtidy-journal", "usbtidy-journal 1 fs=1 #00000000\n");
    Run bad;
    undo(fd.get(), "D", bad.events());
    REQUIRE(bad.problems.size() == 1);
    CHECK(bad.problems[0] == "D/.usbtidy-journal: line 1: bad checksum; nothing moved");
    Run again;
    organize(fd.get(), Rules{}, {.dir = "D", .dry_run = false}, again.events());
    REQUIRE(again.problems.size() == 1);
    CHECK(again.moves.empty());
    CHECK(std::filesystem::exists(t / "a.jpg"));
}

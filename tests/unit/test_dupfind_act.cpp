// dupfind's act: the commands a dry run prints, and apply_action's safety checks when a file
// changes between hashing and acting (no end-to-end hook exists between the two phases, so
// these are tested here).
#include "dupfind_found.hpp"

#include "dupfind/act.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

using namespace dupfind_test;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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

} // namespace

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
        REQUIRE(std::string_view(found->groups[0].files[0].names[0].path) == t / "keep");
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
        REQUIRE(std::string_view(copy.names[0].path) == t / "x/sub/copy");
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

TEST_CASE("apply_action: a symlink is not made when the kept file is no longer where it was") {
    // The tree is moved away and another put in its place, holding hard links to the very
    // files hashed: every identity check passes, but a link to the old path would point
    // into the new tree.
    TempDir t;
    const std::string content = noise(10000, 11);
    t.write("r/keep", content);
    t.write("r/sub/copy", content);
    Found f(t / "r");
    REQUIRE(f.groups.size() == 1);
    const File& keep = f.groups[0].files[0];
    const File& copy = f.groups[0].files[1];
    REQUIRE(std::string_view(keep.names[0].path) == t / "r/keep");
    REQUIRE(::rename((t / "r").c_str(), (t / "moved").c_str()) == 0);
    t.mkdir("r/sub");
    REQUIRE(::link((t / "moved/keep").c_str(), (t / "r/keep").c_str()) == 0);
    REQUIRE(::link((t / "moved/sub/copy").c_str(), (t / "r/sub/copy").c_str()) == 0);
    std::string error, target;
    CHECK_FALSE(apply_action(f.context(ActionKind::symlink), keep, copy, copy.names[0], error, &target));
    CHECK(error == "the file kept, " + std::string(keep.names[0].path) + ", is no longer where it was; left alone");
    CHECK_FALSE(S_ISLNK(lstat_of(t / "moved/sub/copy").st_mode));
    CHECK_FALSE(S_ISLNK(lstat_of(t / "r/sub/copy").st_mode));
    // Put back, the link is made, beneath the tree held, to the path it was found at.
    REQUIRE(::rename((t / "r").c_str(), (t / "other").c_str()) == 0);
    REQUIRE(::rename((t / "moved").c_str(), (t / "r").c_str()) == 0);
    CHECK(apply_action(f.context(ActionKind::symlink), keep, copy, copy.names[0], error, &target));
    CHECK(target == f.held.paths[0] + "/keep");
    char buf[4096];
    ssize_t n = ::readlink((t / "r/sub/copy").c_str(), buf, sizeof buf);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == target);
    CHECK_FALSE(S_ISLNK(lstat_of(t / "other/sub/copy").st_mode));
}

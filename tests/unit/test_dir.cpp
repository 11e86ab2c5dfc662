#include "fs/dir.hpp"

#include "as_nobody.hpp"
#include "tmpdir.hpp"

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace syskit::fs;

namespace {

/// Every name the reader gives, until it stops; each must come once.
std::multiset<std::string> names(DirReader& r) {
    std::multiset<std::string> out;
    while (const DirEntry* e = r.next())
        out.emplace(e->name);
    return out;
}

std::set<std::string> numbered(int n, const std::string& pad) {
    std::set<std::string> out;
    for (int i = 0; i < n; ++i)
        out.insert(fmt::format("{}{}", pad, i));
    return out;
}

void touch(const std::string& path) { UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)); }

} // namespace

TEST_CASE("an empty directory gives no entry: . and .. are left out") {
    TempDir t;
    DirReader r = DirReader::open(AT_FDCWD, t.path.c_str());
    REQUIRE(r);
    CHECK(r.next() == nullptr);
    CHECK(r.error() == 0);
    CHECK(r.next() == nullptr); // the end stays the end
    CHECK(r.error() == 0);
}

TEST_CASE("a directory larger than one buffer is listed whole, each name once") {
    TempDir t;
    // 3000 names of 100 bytes: about 360 KiB of records, many getdents64 calls.
    const std::string pad(96, 'n');
    const auto want = numbered(3000, pad);
    for (const auto& n : want)
        touch(t / n);

    SUBCASE("in the reader's own buffer") {
        DirReader r = DirReader::open(AT_FDCWD, t.path.c_str());
        auto got = names(r);
        CHECK(r.error() == 0);
        CHECK(got.size() == want.size());
        CHECK(std::set<std::string>(got.begin(), got.end()) == want);
    }
    SUBCASE("in a small buffer of the caller's, not aligned") {
        std::vector<char> buf(1024 + 1);
        DirReader r = DirReader::open(AT_FDCWD, t.path.c_str(), 0, std::span<char>(buf).subspan(1));
        auto got = names(r);
        CHECK(r.error() == 0);
        CHECK(got.size() == want.size());
        CHECK(std::set<std::string>(got.begin(), got.end()) == want);
    }
}

TEST_CASE("names are bytes: control bytes, invalid UTF-8 and the longest name survive") {
    TempDir t;
    const std::set<std::string> want = {
        "new\nline", "tab\there", "\x01\x7f", "\xff\xfe invalid", " leading space", "-dash", "..dots", ".hidden",
        "...", std::string(255, 'L'),
    };
    for (const auto& n : want)
        touch(t / n);
    // A 255-byte name takes a record of 280 bytes: a buffer that size is enough.
    std::vector<char> buf(280);
    DirReader r = DirReader::open(AT_FDCWD, t.path.c_str(), 0, buf);
    auto got = names(r);
    CHECK(r.error() == 0);
    CHECK(got.size() == want.size());
    CHECK(std::set<std::string>(got.begin(), got.end()) == want);
}

TEST_CASE("each entry carries its type and inode number") {
    TempDir t;
    t.write("file", "x");
    t.mkdir("dir");
    REQUIRE(symlink("file", (t / "link").c_str()) == 0);
    REQUIRE(mkfifo((t / "fifo").c_str(), 0644) == 0);
    UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string sock_path = t / "sock";
    REQUIRE(sock_path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
    REQUIRE(bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

    std::map<std::string, mode_t> type;
    std::map<std::string, ino_t> ino;
    DirReader r = DirReader::open(AT_FDCWD, t.path.c_str());
    while (const DirEntry* e = r.next()) {
        type[std::string(e->name)] = e->type;
        ino[std::string(e->name)] = e->ino;
    }
    CHECK(r.error() == 0);
    // Every file system the tests run on (ext4, tmpfs, btrfs, xfs) records types.
    CHECK(type["file"] == S_IFREG);
    CHECK(type["dir"] == S_IFDIR);
    CHECK(type["link"] == S_IFLNK);
    CHECK(type["fifo"] == S_IFIFO);
    CHECK(type["sock"] == S_IFSOCK);
    for (const auto& [name, number] : ino) {
        struct stat st;
        REQUIRE(lstat((t / name).c_str(), &st) == 0);
        CHECK(number == st.st_ino);
    }
}

TEST_CASE("dirent_type maps every d_type, and DT_UNKNOWN to 0") {
    CHECK(dirent_type(DT_REG) == S_IFREG);
    CHECK(dirent_type(DT_DIR) == S_IFDIR);
    CHECK(dirent_type(DT_LNK) == S_IFLNK);
    CHECK(dirent_type(DT_FIFO) == S_IFIFO);
    CHECK(dirent_type(DT_SOCK) == S_IFSOCK);
    CHECK(dirent_type(DT_CHR) == S_IFCHR);
    CHECK(dirent_type(DT_BLK) == S_IFBLK);
    CHECK(dirent_type(DT_UNKNOWN) == 0);
}

TEST_CASE("the descriptor serves *at calls while listing, and is closed with the reader") {
    TempDir t;
    t.write("a", "content a");
    t.write("b", "content b");
    int fd;
    {
        DirReader r = DirReader::open(AT_FDCWD, t.path.c_str());
        fd = r.fd();
        int seen = 0;
        while (const DirEntry* e = r.next()) {
            UniqueFd f(openat(r.fd(), e->name.data(), O_RDONLY | O_CLOEXEC));
            std::string text;
            REQUIRE(read_all(f.get(), text));
            CHECK(text == "content " + std::string(e->name));
            ++seen;
        }
        CHECK(seen == 2);
        struct stat st;
        CHECK(fstat(r.fd(), &st) == 0); // still open after the end
    }
    CHECK(fcntl(fd, F_GETFD) == -1);
    CHECK(errno == EBADF);
}

TEST_CASE("a reader moved while listing goes on where it stood") {
    TempDir t;
    const auto want = numbered(50, "f");
    for (const auto& n : want)
        touch(t / n);
    DirReader a = DirReader::open(AT_FDCWD, t.path.c_str());
    const DirEntry* first = a.next();
    REQUIRE(first);
    std::multiset<std::string> got{std::string(first->name)};
    DirReader b = std::move(a);
    got.merge(names(b));
    CHECK(b.error() == 0);
    CHECK(got.size() == want.size());
    CHECK(std::set<std::string>(got.begin(), got.end()) == want);
    CHECK_FALSE(a);
    CHECK(a.next() == nullptr);
    CHECK(a.error() == EBADF);
}

TEST_CASE("open fails with errno: missing, not a directory, a symlink under O_NOFOLLOW") {
    TempDir t;
    t.write("file", "x");
    t.mkdir("dir");
    REQUIRE(symlink("dir", (t / "link").c_str()) == 0);
    UniqueFd parent(open(t.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));

    errno = 0;
    CHECK_FALSE(DirReader::open(parent.get(), "missing"));
    CHECK(errno == ENOENT);
    errno = 0;
    CHECK_FALSE(DirReader::open(parent.get(), "file"));
    CHECK(errno == ENOTDIR);
    errno = 0;
    CHECK_FALSE(DirReader::open(parent.get(), "link", O_NOFOLLOW));
    CHECK(errno == ENOTDIR); // O_DIRECTORY is checked on the link itself
    CHECK(DirReader::open(parent.get(), "link")); // followed when not told otherwise
}

TEST_CASE("open of a directory that cannot be read fails with EACCES") {
    TempDir t;
    t.mkdir("locked", 0);
    chmod(t.path.c_str(), 0755);
    CHECK(as_nobody([&] {
        errno = 0;
        return !DirReader::open(AT_FDCWD, (t / "locked").c_str()) && errno == EACCES;
    }));
}

TEST_CASE("next fails with errno and error() says which") {
    TempDir t;
    t.write("file", "x");

    SUBCASE("a descriptor on a regular file: ENOTDIR") {
        DirReader r(UniqueFd(open((t / "file").c_str(), O_RDONLY | O_CLOEXEC)));
        errno = 0;
        CHECK(r.next() == nullptr);
        CHECK(r.error() == ENOTDIR);
        CHECK(errno == ENOTDIR);
    }
    SUBCASE("no descriptor, or one closed: EBADF") {
        DirReader none;
        CHECK(none.next() == nullptr);
        CHECK(none.error() == EBADF);
        DirReader r = DirReader::open(AT_FDCWD, t.path.c_str());
        r.close();
        CHECK_FALSE(r);
        CHECK(r.fd() == -1);
        CHECK(r.next() == nullptr);
        CHECK(r.error() == EBADF);
    }
    SUBCASE("a buffer smaller than an entry: EINVAL") {
        std::vector<char> buf(16);
        DirReader r = DirReader::open(AT_FDCWD, t.path.c_str(), 0, buf);
        CHECK(r.next() == nullptr);
        CHECK(r.error() == EINVAL);
        CHECK(errno == EINVAL);
    }
    SUBCASE("a directory removed before it is listed: ENOENT") {
        t.mkdir("gone");
        DirReader r = DirReader::open(AT_FDCWD, (t / "gone").c_str());
        REQUIRE(rmdir((t / "gone").c_str()) == 0);
        CHECK(r.next() == nullptr);
        CHECK(r.error() == ENOENT);
    }
}

// lib/net/address: parsing, listening with the socket file's mode, stale and live sockets,
// abstract names, removal, and SO_PEERCRED.
#include "net/address.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

using namespace syskit;

namespace {
net::Address parse(const std::string& text) {
    std::string why;
    auto a = net::parse_address(text, why);
    REQUIRE_MESSAGE(a, why);
    return *a;
}

bool exists(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}
} // namespace

TEST_CASE("sockkit addresses parse and print back") {
    for (const char* text : {"unix:/run/a.sock", "unix:rel/a.sock", "abstract:name", "tcp:127.0.0.1:80",
                             "tcp:[::1]:8080", "udp:localhost:9", "tcp:0.0.0.0:0"})
        CHECK(parse(text).str() == text);
    CHECK(parse("tcp:[::1]:8080").host == "::1");
    CHECK(parse("abstract:x").local());
    CHECK_FALSE(parse("tcp:h:1").local());
    std::string why;
    for (const char* bad : {"", "unix:", "abstract:", "tcp:host", "tcp::80", "tcp:h:", "tcp:h:65536", "tcp:h:8a",
                            "sctp:h:1", "tcp:::1:80", "/tmp/x"})
        CHECK_MESSAGE(!net::parse_address(bad, why), bad);
    CHECK_FALSE(net::parse_address(std::string("abstract:a\0b", 12), why));
    CHECK(why == "contains a NUL byte");
}

TEST_CASE("sockkit: a socket file gets the mode asked, is never taken from a live server, replaces a stale one, "
          "and goes with its listener") {
    TempDir dir;
    auto a = parse("unix:" + dir / "s.sock");
    std::string why;
    {
        net::Listener l;
        REQUIRE_MESSAGE(l.open(a, 0640, 16, why), why);
        struct stat st {};
        REQUIRE(lstat((dir / "s.sock").c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 0777) == 0640);

        net::Listener second;
        CHECK_FALSE(second.open(a, 0600, 16, why));
        CHECK(why == "a server is listening on this socket; not replacing it");
        CHECK(exists(dir / "s.sock"));

        // A client connects and its credentials are ours.
        auto c = net::connect_to(a, why);
        REQUIRE_MESSAGE(c, why);
        net::PeerCred cred;
        REQUIRE(net::peer_credentials(c.get(), cred));
        CHECK(cred.uid == getuid());
        CHECK(cred.gid == getgid());
        CHECK(cred.pid == getpid());
    }
    CHECK_FALSE(exists(dir / "s.sock"));

    // A stale socket: bound, then its owner gone without removing it.
    {
        fs::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::string p = dir / "s.sock";
        p.copy(un.sun_path, p.size());
        REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&un), sizeof un) == 0);
    }
    REQUIRE(exists(dir / "s.sock"));
    net::Listener l;
    REQUIRE_MESSAGE(l.open(a, 0600, 16, why), why);
    CHECK(net::connect_to(a, why));

    // A file that is not a socket is left alone.
    dir.write("plain", "data");
    net::Listener p;
    CHECK_FALSE(p.open(parse("unix:" + dir / "plain"), 0600, 16, why));
    CHECK(why == "exists and is not a socket; not replacing it");
}

TEST_CASE("sockkit: a listener does not remove a socket file another server has put in its place") {
    TempDir dir;
    auto a = parse("unix:" + dir / "s.sock");
    std::string why;
    net::Listener first;
    REQUIRE(first.open(a, 0600, 16, why));
    REQUIRE(unlink((dir / "s.sock").c_str()) == 0);
    net::Listener second;
    REQUIRE(second.open(a, 0600, 16, why));
    first.close();
    CHECK(exists(dir / "s.sock"));
    second.close();
    CHECK_FALSE(exists(dir / "s.sock"));
}

TEST_CASE("sockkit: abstract names have no file and refuse a second listener") {
    std::string name = "abstract:syskit-unit-" + std::to_string(getpid());
    auto a = parse(name);
    std::string why;
    net::Listener l;
    REQUIRE_MESSAGE(l.open(a, 0600, 16, why), why);
    net::Listener second;
    CHECK_FALSE(second.open(a, 0600, 16, why));
    CHECK(why == "bind: Address already in use");
    CHECK(net::connect_to(a, why));
    l.close();
    CHECK_FALSE(net::connect_to(a, why));
    CHECK(why == "connect: Connection refused");
}

TEST_CASE("sockkit: tcp listens on a port the kernel picks, and connect reaches it") {
    auto a = parse("tcp:127.0.0.1:0");
    std::string why;
    net::Listener l;
    REQUIRE_MESSAGE(l.open(a, 0600, 16, why), why);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    REQUIRE(getsockname(l.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    a.port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    CHECK(net::connect_to(a, why));
}

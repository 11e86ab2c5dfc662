// sockkit/options: subcommands, addresses and options, typed and checked together by finish().
#include "argv.hpp"
#include "sockkit/options.hpp"

#include "cli/cli.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::sockkit;

namespace {
/// Parses args as sockkit would; the problem's subject, or "" when the line is fine.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    syskit::cli::Tool tool("sockkit", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    syskit::test::Argv argv("sockkit", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject + ": " + usage->message;
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject + ": " + p->message : "";
}
} // namespace

TEST_CASE("sockkit options: each subcommand and its address") {
    Options o;
    CHECK(problem_of({"echo", "serve", "unix:/tmp/x.sock", "--mode", "660"}, &o) == "");
    CHECK(o.command == Command::echo_serve);
    CHECK(o.address.family == syskit::net::Family::unix_path);
    CHECK(o.address.path == "/tmp/x.sock");
    CHECK(o.mode == 0660);
    CHECK(problem_of({"echo", "send", "abstract:hub", "hello"}, &o) == "");
    CHECK(o.command == Command::echo_send);
    CHECK(o.text == "hello");
    CHECK(problem_of({"chat", "serve", "tcp:127.0.0.1:7000", "--history", "0", "--max-queue", "64K"}, &o) == "");
    CHECK(o.history == 0);
    CHECK(o.max_queue == 65536);
    CHECK(o.address.host == "127.0.0.1");
    CHECK(o.address.port == 7000);
    CHECK(problem_of({"chat", "join", "unix:/x", "--name", "ann.b-c_1"}, &o) == "");
    CHECK(o.name == "ann.b-c_1");
    CHECK(problem_of({"http", "get", "tcp:[::1]:80", "/a?b", "-d", "x=1"}, &o) == "");
    CHECK(o.method == "POST");
    CHECK(o.address.host == "::1");
    CHECK(problem_of({"http", "get", "tcp:[::1]:80", "/", "-X", "DELETE"}, &o) == "");
    CHECK(o.method == "DELETE");
    CHECK(problem_of({"http", "get", "unix:/x", "/"}, &o) == "");
    CHECK(o.method == "GET");
    CHECK(problem_of({"chat", "serve", "unix:/x", "--allow-uid", "1000", "--allow-uid", "0", "--allow-gid", "5"},
                     &o) == "");
    CHECK(o.allow_uid == std::vector<uid_t>{1000, 0});
    CHECK(o.allow_gid == std::vector<gid_t>{5});
    CHECK(problem_of({"echo", "serve", "tcp:0.0.0.0:443", "--tls", "c.pem", "k.pem"}, &o) == "");
    CHECK(o.cert == "c.pem");
    CHECK(o.key == "k.pem");
}

TEST_CASE("sockkit options: what is wrong, in words") {
    CHECK(problem_of({"echo", "serve", "/tmp/x.sock"}) ==
          "/tmp/x.sock: not an address: write unix:PATH, abstract:NAME, tcp:HOST:PORT or udp:HOST:PORT");
    CHECK(problem_of({"echo", "serve", "tcp:1.2.3.4:99999"}) == "tcp:1.2.3.4:99999: '99999' is not a port number (0 to 65535)");
    CHECK(problem_of({"echo", "serve", "tcp:::1:80"}) == "tcp:::1:80: an IPv6 host goes in brackets: tcp:[::1]:PORT");
    CHECK(problem_of({"echo", "serve", "udp:127.0.0.1:9"}) ==
          "udp:127.0.0.1:9: is a UDP address; this subcommand takes unix:, abstract: or tcp:");
    CHECK(problem_of({"echo", "serve", "unix:" + std::string(108, 'a')}).find("longer than the 107 bytes") !=
          std::string::npos);
    CHECK(problem_of({"echo", "serve", "tcp:127.0.0.1:1", "--mode", "600"}) == "--mode: is for a unix: socket file");
    CHECK(problem_of({"echo", "serve", "unix:/x", "--mode", "rw"}) ==
          "--mode: 'rw' is not an octal mode such as 600 or 660");
    CHECK(problem_of({"echo", "serve", "unix:/x", "--tls", "c", "k"}).rfind("--tls: is for tcp:", 0) == 0);
    CHECK(problem_of({"echo", "send", "unix:/x", "--ca", "ca.pem"}) == "--ca: is for tcp: addresses");
    CHECK(problem_of({"chat", "serve", "tcp:127.0.0.1:1", "--allow-uid", "0"}).rfind("--allow-uid: needs a unix:", 0) ==
          0);
    CHECK(problem_of({"chat", "serve", "unix:/x", "--allow-uid", "root"}) == "--allow-uid: 'root' is not a numeric uid");
    CHECK(problem_of({"chat", "serve", "unix:/x", "--history", "-1"}) ==
          "--history: '-1' is not a count from 0 to 1000000");
    CHECK(problem_of({"chat", "serve", "unix:/x", "--max-line", "8"}) ==
          "--max-line: '8' is out of range (16 bytes to 16M)");
    CHECK(problem_of({"chat", "serve", "unix:/x", "--max-queue", "1"}) == "--max-queue: '1' is too small (at least 4K)");
    CHECK(problem_of({"chat", "join", "unix:/x", "--name", "two words"}) ==
          "--name: 'two words' is not 1 to 32 letters, digits, '-', '_' or '.'");
    CHECK(problem_of({"http", "serve", "unix:/x"}) == "--root: missing: serve files with --root DIR, or --echo");
    CHECK(problem_of({"http", "serve", "unix:/x", "--root", "/srv", "--echo"}) ==
          "--echo: cannot be combined with --root");
    CHECK(problem_of({"http", "get", "unix:/x", "index.html"}) == "URLPATH: 'index.html' does not start with '/'");
    CHECK(problem_of({"http", "get", "unix:/x", "/", "-X", "get me"}) ==
          "--request: 'get me' is not a method such as GET or POST");
    CHECK(problem_of({"echo", "serve", "unix:/x", "--log-format", "xml"}) == "--log-format: 'xml' is not one of: logfmt, json");
}

TEST_CASE("sockkit chat names") {
    CHECK(valid_name("a"));
    CHECK(valid_name(std::string(32, 'z')));
    CHECK_FALSE(valid_name(""));
    CHECK_FALSE(valid_name(std::string(33, 'z')));
    CHECK_FALSE(valid_name("a b"));
    CHECK_FALSE(valid_name("\x1b[2J"));
    CHECK_FALSE(valid_name("é"));
}

TEST_CASE("sockkit options: ws, udp and bench") {
    Options o;
    CHECK(problem_of({"ws", "serve", "tcp:127.0.0.1:0", "--chat", "--max-frame", "64K", "--max-message", "1K"}, &o) ==
          "");
    CHECK(o.command == Command::ws_serve);
    CHECK(o.chat);
    CHECK(o.max_frame == 65536);
    CHECK(o.max_message == 65536); // never below the frame limit
    CHECK(problem_of({"chat", "serve", "unix:/x", "--ws", "tcp:127.0.0.1:80", "--tls", "c", "k"}, &o) == "");
    REQUIRE(o.ws_address);
    CHECK(o.ws_address->port == 80);
    CHECK(problem_of({"chat", "serve", "unix:/x", "--ws", "udp:h:1"}) ==
          "--ws: 'udp:h:1' is a UDP address; WebSocket runs over a stream");
    CHECK(problem_of({"ws", "serve", "tcp:h:1", "--max-frame", "10"}) ==
          "--max-frame: '10' is out of range (125 bytes to 1G)");

    CHECK(problem_of({"udp", "send", "f", "udp:127.0.0.1:9", "--loss", "0.2", "--chunk", "8K", "--window", "64"}, &o) ==
          "");
    CHECK(o.command == Command::udp_send);
    CHECK(o.file == "f");
    CHECK(o.loss == doctest::Approx(0.2));
    CHECK(o.chunk == 8192);
    CHECK(o.window == 64);
    CHECK(problem_of({"udp", "recv", "udp:127.0.0.1:9", "out", "--timeout", "2.5"}, &o) == "");
    CHECK(o.timeout == doctest::Approx(2.5));
    CHECK(problem_of({"udp", "send", "f", "tcp:127.0.0.1:9"}) == "tcp:127.0.0.1:9: is not a udp:HOST:PORT address");
    CHECK(problem_of({"echo", "send", "udp:127.0.0.1:9"}) ==
          "udp:127.0.0.1:9: is a UDP address; this subcommand takes unix:, abstract: or tcp:");
    CHECK(problem_of({"udp", "send", "f", "udp:h:9", "--loss", "0.95"}) == "--loss: '0.95' is not a share from 0 to 0.9");
    CHECK(problem_of({"udp", "send", "f", "udp:h:9", "--chunk", "64K"}) ==
          "--chunk: '64K' is not a size from 16 to 65487 bytes");
    CHECK(problem_of({"udp", "send", "f", "udp:h:9", "--window", "0"}) == "--window: '0' is not a count from 1 to 65536");
    CHECK(problem_of({"udp", "recv", "udp:h:9", "o", "--timeout", "0"}) ==
          "--timeout: '0' is not a number of seconds above 0");

    CHECK(problem_of({"bench", "--count", "10", "--size", "1K", "--bytes", "1M"}, &o) == "");
    CHECK(o.command == Command::bench);
    CHECK(o.bench_count == 10);
    CHECK(o.bench_size == 1024);
    CHECK(o.bench_bytes == 1u << 20);
    CHECK(problem_of({"bench", "--size", "2M"}) == "--size: '2M' is not a size from 1 byte to 1M");
}

// sockkit/http_server and lib/http/response: answers below a root (no "..", no symbolic link
// out), --echo, and the client's response parser.
#include "sockkit/http_server.hpp"

#include "http/response.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

using namespace syskit;
using namespace syskit::sockkit;

namespace {
struct Served {
    int status = 0;
    std::string head, body;
};

Served ask(HttpService& http, const std::string& method, const std::string& target) {
    http::Request req;
    req.method = method;
    req.target = target;
    fs::UniqueFd file;
    std::uint64_t size = 0;
    Served s;
    std::string out = http.answer(req, file, size);
    auto end = out.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    s.head = out.substr(0, end + 4);
    s.body = out.substr(end + 4);
    s.status = std::stoi(out.substr(9, 3));
    if (file) {
        CHECK(s.body.empty());
        std::string rest(size, '\0');
        REQUIRE(::read(file.get(), rest.data(), size) == static_cast<ssize_t>(size));
        s.body = rest;
    }
    return s;
}
} // namespace

TEST_CASE("sockkit http: files below the root and nothing outside") {
    TempDir dir;
    dir.write("root/index.html", "<p>home</p>");
    dir.write("root/sub/a.txt", "alpha");
    dir.write("root/sub/index.html", "sub home");
    dir.write("secret", "do not serve");
    dir.mkdir("root/empty");
    REQUIRE(symlink("../secret", (dir / "root/out").c_str()) == 0);
    REQUIRE(symlink("sub", (dir / "root/in").c_str()) == 0);
    log::Logger logger(log::Format::logfmt, -1);
    HttpService http(fs::UniqueFd(::open((dir / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), logger);

    auto r = ask(http, "GET", "/");
    CHECK(r.status == 200);
    CHECK(r.body == "<p>home</p>");
    CHECK(r.head.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
    CHECK(r.head.find("Content-Length: 11\r\n") != std::string::npos);
    r = ask(http, "GET", "/sub/a.txt?x=1");
    CHECK(r.status == 200);
    CHECK(r.body == "alpha");
    CHECK(ask(http, "GET", "/sub/%61.txt").body == "alpha");
    CHECK(ask(http, "GET", "/sub/").body == "sub home");
    r = ask(http, "GET", "/sub");
    CHECK(r.status == 301);
    CHECK(r.head.find("Location: /sub/\r\n") != std::string::npos);
    r = ask(http, "HEAD", "/sub/a.txt");
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    CHECK(r.head.find("Content-Length: 5\r\n") != std::string::npos);

    CHECK(ask(http, "GET", "/missing").status == 404);
    CHECK(ask(http, "GET", "/empty/").status == 403);
    CHECK(ask(http, "GET", "/../secret").status == 403);
    CHECK(ask(http, "GET", "/sub/%2e%2e/%2e%2e/secret").status == 403);
    CHECK(ask(http, "GET", "/out").status == 403);
    CHECK(ask(http, "GET", "/in/a.txt").status == 403);
    CHECK(ask(http, "GET", "/a%00b").status == 400);
    CHECK(ask(http, "GET", "/%zz").status == 400);
    r = ask(http, "DELETE", "/sub/a.txt");
    CHECK(r.status == 405);
    CHECK(r.head.find("Allow: GET, HEAD, OPTIONS\r\n") != std::string::npos);
    r = ask(http, "OPTIONS", "/");
    CHECK(r.status == 204);
    CHECK(r.head.find("Content-Length") == std::string::npos);
}

TEST_CASE("sockkit http --echo describes the request, with the status asked for") {
    log::Logger logger(log::Format::logfmt, -1);
    HttpService http(fs::UniqueFd(), logger);
    http::Request req;
    req.method = "PUT";
    req.target = "/k?status=201";
    req.headers = {{"host", "x"}};
    req.body = "value";
    fs::UniqueFd file;
    std::uint64_t size = 0;
    std::string out = http.answer(req, file, size);
    CHECK(out.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
    CHECK(out.substr(out.find("\r\n\r\n") + 4) == "PUT /k?status=201\nhost: x\n\nvalue");
    req.target = "/?status=99";
    CHECK(http.answer(req, file, size).rfind("HTTP/1.1 400 ", 0) == 0);
}

TEST_CASE("lib/http response parser: lengths, chunks, HEAD, the close, and garbage") {
    http::ResponseParser p;
    std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloHTTP/1.1";
    std::size_t used = 0;
    REQUIRE(p.parse(in, used) == http::ResponseParser::Result::response);
    CHECK(used == in.size() - 8);
    CHECK(p.response().status == 200);
    CHECK(p.response().reason == "OK");
    CHECK(p.response().body == "hello");
    CHECK(p.response().headers[1] == std::pair<std::string, std::string>{"X-A", "b"});

    http::ResponseParser chunked;
    in = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    for (char ch : in) {
        auto r = chunked.parse(std::string_view(&ch, 1), used);
        if (r == http::ResponseParser::Result::response)
            break;
        REQUIRE(r == http::ResponseParser::Result::need_more);
    }
    CHECK(chunked.response().status == 404);
    CHECK(chunked.response().body == "abcde");

    http::ResponseParser head(true);
    in = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    CHECK(head.parse(in, used) == http::ResponseParser::Result::response);

    http::ResponseParser to_close;
    in = "HTTP/1.0 200 OK\r\n\r\nall of it";
    CHECK(to_close.parse(in, used) == http::ResponseParser::Result::need_more);
    CHECK(to_close.finish() == http::ResponseParser::Result::response);
    CHECK(to_close.response().body == "all of it");

    http::ResponseParser cut;
    in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    CHECK(cut.parse(in, used) == http::ResponseParser::Result::need_more);
    CHECK(cut.finish() == http::ResponseParser::Result::error);
    CHECK(cut.error() == "the server closed the connection before the response was complete");

    http::ResponseParser bad;
    CHECK(bad.parse("SSH-2.0-OpenSSH\r\n", used) == http::ResponseParser::Result::error);

    http::ResponseParser small(false, 4);
    CHECK(small.parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", used) ==
          http::ResponseParser::Result::error);
    CHECK(small.error() == "the response body is larger than 4 bytes");
}

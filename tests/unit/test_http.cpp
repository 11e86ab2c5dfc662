// lib/http: the request parser (limits, pipelining, keep-alive), responses and URL decoding.
#include "http/http.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit;
using Result = http::RequestParser::Result;

TEST_CASE("http: a request's parts, header names in lower case") {
    http::RequestParser p;
    std::string in = "POST /set?key=a%20b&x=1#frag HTTP/1.1\r\nHost: example\r\nX-Thing: One\r\n"
                     "Content-Length: 5\r\n\r\nhello";
    std::size_t consumed = 0;
    REQUIRE(p.parse(in, consumed) == Result::request);
    CHECK(consumed == in.size());
    const http::Request& r = p.request();
    CHECK(r.method == "POST");
    CHECK(r.target == "/set?key=a%20b&x=1#frag");
    CHECK(r.path() == "/set");
    CHECK(r.query() == "key=a%20b&x=1");
    CHECK(r.body == "hello");
    CHECK(r.keep_alive);
    REQUIRE(r.header("x-thing"));
    CHECK(*r.header("x-thing") == "One");
    CHECK(r.header("X-Thing") == nullptr); // names are looked up as stored: lower case
    CHECK(r.header("missing") == nullptr);
    CHECK(r.headers.size() == 3);

    http::Request plain;
    plain.target = "/healthz";
    CHECK(plain.path() == "/healthz");
    CHECK(plain.query() == "");
}

TEST_CASE("http: pipelined requests come out one at a time") {
    http::RequestParser p;
    std::string a = "GET /a HTTP/1.1\r\n\r\n", b = "PUT /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    std::string c = "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n";
    std::string in = a + b + c;
    std::size_t consumed = 0, at = 0;
    REQUIRE(p.parse(in, consumed) == Result::request);
    CHECK(consumed == a.size());
    CHECK(p.request().target == "/a");
    at += consumed;
    REQUIRE(p.parse(std::string_view(in).substr(at), consumed) == Result::request);
    CHECK(consumed == b.size());
    CHECK(p.request().target == "/b");
    CHECK(p.request().body == "hi");
    CHECK(p.request().headers.size() == 1); // the first request's headers are gone
    at += consumed;
    REQUIRE(p.parse(std::string_view(in).substr(at), consumed) == Result::request);
    CHECK(consumed == c.size());
    CHECK_FALSE(p.request().keep_alive);
    CHECK(p.request().body.empty()); // nor does the second one's body stay
    CHECK(p.request().headers.size() == 1);
}

TEST_CASE("http: a request after a large one starts empty") {
    http::RequestParser p;
    std::string big = "PUT /big HTTP/1.1\r\nContent-Length: 100000\r\nX-Long: " + std::string(300, 'h') +
                      "\r\n\r\n" + std::string(100000, 'b');
    std::string small = "GET /small HTTP/1.0\r\nHOST: x\r\n\r\n";
    std::size_t consumed = 0;
    REQUIRE(p.parse(big, consumed) == Result::request);
    CHECK(p.request().body.size() == 100000);
    REQUIRE(p.parse(small, consumed) == Result::request);
    const http::Request& r = p.request();
    CHECK(r.method == "GET");
    CHECK(r.target == "/small");
    CHECK(r.body.empty());
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].first == "host");
    CHECK_FALSE(r.keep_alive); // HTTP/1.0 without keep-alive, whatever came before
}

TEST_CASE("http: a request cut anywhere is complete once its last byte arrives") {
    std::string in = "PUT /k HTTP/1.1\r\nLong-Header: " + std::string(100, 'v') + "\r\nContent-Length: 4\r\n\r\nbody";
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        CAPTURE(cut);
        http::RequestParser p;
        std::size_t consumed = 0;
        REQUIRE(p.parse(std::string_view(in).substr(0, cut), consumed) == Result::need_more);
        CHECK(consumed == cut);
        REQUIRE(p.parse(std::string_view(in).substr(cut), consumed) == Result::request);
        CHECK(consumed == in.size() - cut);
        CHECK(p.request().body == "body");
        CHECK(*p.request().header("long-header") == std::string(100, 'v'));
    }
}

TEST_CASE("http: chunked bodies") {
    http::RequestParser p;
    std::string in = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
    std::size_t consumed = 0;
    REQUIRE(p.parse(in, consumed) == Result::request);
    CHECK(p.request().body == "abcdefg");

    http::Limits small;
    small.max_body = 5;
    http::RequestParser limited(small);
    CHECK(limited.parse(in, consumed) == Result::error);
    CHECK(limited.error_status() == 413);
    CHECK(limited.error_message() == "request body larger than 5 bytes");
}

TEST_CASE("http: keep-alive follows the version and the Connection header") {
    struct Case {
        std::string head;
        bool keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
    };
    // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
    for (const auto& kase : cases) {
        const std::string& head = kase.head;
        const bool keep_alive = kase.keep_alive;
        CAPTURE(head);
        http::RequestParser p;
        std::size_t consumed = 0;
        REQUIRE(p.parse(head, consumed) == Result::request);
        CHECK(p.request().keep_alive == keep_alive);
    }
}

TEST_CASE("http: limits on the head and the body, checked before the bytes arrive") {
    http::Limits limits;
    limits.max_head = 100;
    limits.max_body = 10;
    std::size_t consumed = 0;
    {
        http::RequestParser p(limits);
        CHECK(p.parse("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", consumed) == Result::error);
        CHECK(p.error_status() == 414);
        CHECK(p.error_message() == "request line too long");
    }
    {
        http::RequestParser p(limits);
        CHECK(p.parse("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", consumed) == Result::error);
        CHECK(p.error_status() == 431);
        CHECK(p.error_message() == "request header fields too large");
    }
    {
        // Content-Length alone is refused: the body is not waited for.
        http::RequestParser p(limits);
        CHECK(p.parse("PUT / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", consumed) == Result::error);
        CHECK(p.error_status() == 413);
        CHECK(p.error_message() == "request body larger than 10 bytes");
        // The error stays: the connection is to be closed.
        CHECK(p.parse("GET / HTTP/1.1\r\n\r\n", consumed) == Result::error);
        CHECK(p.error_status() == 413);
    }
    {
        http::RequestParser p(limits);
        CHECK(p.parse("PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", consumed) == Result::request);
    }
    {
        // body_limit decides per request, once its head is read.
        http::RequestParser p(limits);
        p.body_limit = [](const http::Request& r) -> std::size_t { return r.header("authorization") ? 10 : 2; };
        CHECK(p.parse("PUT / HTTP/1.1\r\nAuthorization: x\r\nContent-Length: 5\r\n\r\nabcde", consumed) ==
              Result::request);
        CHECK(p.parse("PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", consumed) == Result::error);
        CHECK(p.error_message() == "request body larger than 2 bytes");
    }
}

TEST_CASE("http: malformed requests are errors (400)") {
    for (std::string in : {"BLAH / HTTP/1.1\r\n\r\n", "GET / HTTP/9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                           "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
        CAPTURE(in);
        http::RequestParser p;
        std::size_t consumed = 0;
        CHECK(p.parse(in, consumed) == Result::error);
        CHECK(p.error_status() == 400);
        CHECK_FALSE(p.error_message().empty());
    }
    http::RequestParser p;
    std::size_t consumed = 0;
    CHECK(p.parse("BLAH / HTTP/1.1\r\n\r\n", consumed) == Result::error);
    CHECK(p.error_message() == "invalid HTTP method");
}

TEST_CASE("http: an Upgrade header is ignored; the connection stays HTTP/1.1") {
    http::RequestParser p;
    std::string upgrade = "GET /a HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    std::string in = upgrade + "GET /b HTTP/1.1\r\n\r\n";
    std::size_t consumed = 0;
    REQUIRE(p.parse(in, consumed) == Result::request);
    CHECK(consumed == upgrade.size());
    CHECK(p.request().target == "/a");
    REQUIRE(p.parse(std::string_view(in).substr(upgrade.size()), consumed) == Result::request);
    CHECK(p.request().target == "/b");
}

TEST_CASE("http: Expect: 100-continue is seen once") {
    http::RequestParser p;
    std::size_t consumed = 0;
    CHECK(p.parse("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n", consumed) ==
          Result::need_more);
    CHECK(p.take_continue());
    CHECK_FALSE(p.take_continue());
    CHECK(p.parse("hi", consumed) == Result::request);
    CHECK_FALSE(p.take_continue());
}

TEST_CASE("http: responses, byte for byte") {
    std::string out;
    http::write_response(out, 200, "text/plain", "ok\n", true);
    CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n");
    out.clear();
    http::write_response(out, 404, "", "gone", false, "X-A: 1\r\nX-B: 2\r\n");
    CHECK(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\nX-A: 1\r\nX-B: 2\r\n\r\ngone");
    out.clear();
    http::write_response(out, 204, "text/plain", "ignored", true);
    CHECK(out == "HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n");
    out = "before|";
    http::write_response(out, 200, "a/b", "body", true, {}, true);
    CHECK(out == "before|HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\n");
    out = "x";
    http::write_head(out, 201, "text/plain", 12345678901, false, "Location: /a\r\n");
    CHECK(out == "xHTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 12345678901\r\n"
                 "Connection: close\r\nLocation: /a\r\n\r\n");
    out.clear();
    http::write_head(out, 299, "", 0, true);
    CHECK(out == "HTTP/1.1 299 Unknown\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(http::reason(413) == "Content Too Large");
    CHECK(http::reason(507) == "Insufficient Storage");
    CHECK(http::reason(299) == "Unknown");
}

TEST_CASE("http: percent-decoding and query parameters") {
    CHECK(http::percent_decode("a%2Fb%20c", false) == "a/b c");
    CHECK(http::percent_decode("a+b", false) == "a+b");
    CHECK(http::percent_decode("a+b", true) == "a b");
    CHECK(http::percent_decode("%00%ff%FF", false) == std::string("\0\xff\xff", 3));
    CHECK(http::percent_decode("", false) == "");
    CHECK_FALSE(http::percent_decode("bad%zz", false));
    CHECK_FALSE(http::percent_decode("end%2", false));
    CHECK_FALSE(http::percent_decode("end%", false));
    CHECK(http::percent_decode("++a+%41%2b+", true) == "  a A+ ");
    CHECK(http::percent_decode("%41%42", false) == "AB");
    CHECK(http::percent_decode("plain", true) == "plain");
    CHECK_FALSE(http::percent_decode("a+%4", true));

    CHECK(http::query_param("key=a%20b&x=1", "key") == "a b");
    CHECK(http::query_param("key=a+b", "key") == "a b");
    CHECK(http::query_param("x=1&key=2&key=3", "key") == "2");
    CHECK(http::query_param("k%65y=v", "key") == "v");
    CHECK(http::query_param("key", "key") == "");
    CHECK(http::query_param("key=", "key") == "");
    CHECK_FALSE(http::query_param("keys=1&ke=2", "key"));
    CHECK_FALSE(http::query_param("", "key"));
    CHECK_FALSE(http::query_param("key=%zz", "key"));
}

// cachenode's HTTP session through the net::Session seam: bytes in, bytes out, as a connection
// drives it (http_api.cpp over lib/http).
#include "../fuzz/cachenode_world.hpp"
#include "cachenode/http_api.hpp"
#include "out/json.hpp"

#include <doctest/doctest.h>

#include <iterator>
#include <random>
#include <string>
#include <string_view>

using namespace syskit;
using namespace syskit::cachenode;

namespace {

/// One connection: what a read brings in, what goes back, and what the session wants next.
struct HttpConn {
    explicit HttpConn(std::string_view password = {}) : w(password), s(w.shared, w.ws) {}
    /// The reply to in, which the session always consumes whole.
    std::string send(std::string_view in) {
        std::string out;
        std::size_t consumed = 0;
        after = s.on_data(in, consumed, out);
        CHECK(consumed == in.size());
        return out;
    }
    std::uint64_t count(Op op, bool ok) const {
        return w.ws.ops[static_cast<unsigned>(Proto::http)][static_cast<unsigned>(op)][ok ? 0 : 1].value();
    }

    fuzz::World w;
    HttpSession s;
    net::After after = net::After::keep;
};

/// A request with a body.
std::string with_body(std::string_view head, std::string_view body) {
    return std::string(head) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

/// A whole keep-alive response with a text/plain body.
std::string text(std::string_view status, std::string_view body, std::string_view extra = {}) {
    return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n" + std::string(extra) + "\r\n" +
           std::string(body);
}

const std::string no_content = "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
const std::string not_found = text("404 Not Found", "404 page not found\n");

} // namespace

TEST_CASE("cachenode HTTP: /healthz, HEAD, and a method it does not take") {
    HttpConn c;
    CHECK(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == text("200 OK", "ok\n"));
    CHECK(c.send("HEAD /healthz HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
          "Connection: keep-alive\r\n\r\n");
    CHECK(c.send(with_body("POST /healthz HTTP/1.1", "x")) ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"));
    CHECK(c.after == net::After::keep);
    CHECK(c.count(Op::healthz, true) == 2);
    CHECK(c.count(Op::healthz, false) == 1);
}

TEST_CASE("cachenode HTTP: the book's API, POST /set and GET /get") {
    HttpConn c;
    CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":"name","value":"sp\"ewg"})")) ==
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c.send("GET /get?key=name HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: keep-alive\r\n"
          "\r\n{\"value\":\"sp\\\"ewg\"}\n");
    CHECK(c.send("GET /get?key=nope HTTP/1.1\r\n\r\n") == not_found);
    CHECK(c.send("GET /get HTTP/1.1\r\n\r\n") == text("400 Bad Request", "missing query parameter: key\n"));
    CHECK(c.send("GET /set HTTP/1.1\r\n\r\n") ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: POST\r\n"));
    CHECK(c.send(with_body("PUT /get?key=name HTTP/1.1", "")) ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"));
    CHECK(c.send(with_body("POST /set HTTP/1.1", "not json")) ==
          text("400 Bad Request", "the body must be a JSON object {\"key\": ..., \"value\": ...}\n"));
    CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":1,"value":"x"})")) ==
          text("400 Bad Request", "\"key\" and \"value\" must be strings\n"));
    for (std::string_view ttl : {"-5", "0", "1.5", "\"9\"", "2147483648000"})
        CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":"a","value":"x","ttl_ms":)" + std::string(ttl) + "}")) ==
              text("400 Bad Request", "\"ttl_ms\" must be a positive integer\n"));
    CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":"t","value":"x","ttl_ms":2147483647000})")).starts_with(
        "HTTP/1.1 200 OK\r\n"));
    // The store's clock runs on between the request and the check: a millisecond may pass.
    CHECK(c.w.store.pttl("t") <= 2147483647000);
    CHECK(c.w.store.pttl("t") >= 2147483647000 - 100);
    CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":")" + std::string(257, 'k') + R"(","value":"x"})")) ==
          text("400 Bad Request", "key is larger than max-key (256 bytes)\n"));
    CHECK(c.send(with_body("POST /set HTTP/1.1", R"({"key":"k","value":")" + std::string(4097, 'v') + R"("})")) ==
          text("413 Content Too Large", "value is larger than max-value (4096 bytes)\n"));
    CHECK(c.count(Op::set, true) == 2);
    CHECK(c.count(Op::set, false) == 10);
    CHECK(c.count(Op::get, true) == 2); // a miss is an answer
    CHECK(c.count(Op::get, false) == 2);
}

TEST_CASE("cachenode HTTP: GET /get escapes any value as JSON, byte for byte as lib/out does") {
    HttpConn c;
    // Pieces that a fast path over plain characters could get wrong: the characters JSON
    // escapes, the ends of 8-byte words, UTF-8 sequences whole, cut, and next to plain bytes.
    const std::string_view pieces[] = {"abcdefgh", "x", "\"", "\\", "\n", std::string_view("\0", 1),
                                       "\x1f", "\x7f", " ~", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                       "\xc3", "\xe2\x82", "\xa9", "\xff", "\xed\xa0\x80", "0123456"};
    std::mt19937 rng(14);
    for (int round = 0; round < 300; ++round) {
        std::string value;
        for (int n = static_cast<int>(rng() % 8); n >= 0; --n)
            value += pieces[rng() % std::size(pieces)];
        CAPTURE(value);
        REQUIRE(c.send(with_body("PUT /v1/keys/k HTTP/1.1", value)) == no_content);
        std::string body = "{\"value\":\"";
        out::append_json_string(body, value);
        body += "\"}\n";
        CHECK(c.send("GET /get?key=k HTTP/1.1\r\n\r\n") ==
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: keep-alive\r\n\r\n" + body);
    }
}

TEST_CASE("cachenode HTTP: the REST form, /v1/keys/KEY") {
    HttpConn c;
    std::string value("\0\x01binary\r\n\xff", 11);
    CHECK(c.send(with_body("PUT /v1/keys/a%2Fb%20c HTTP/1.1", value)) == no_content);
    CHECK(c.send("GET /v1/keys/a%2Fb%20c HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 11\r\n"
          "Connection: keep-alive\r\n\r\n" +
              value);
    CHECK(c.send("HEAD /v1/keys/a%2Fb%20c HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 11\r\n"
          "Connection: keep-alive\r\n\r\n");
    CHECK(c.send("DELETE /v1/keys/a%2Fb%20c HTTP/1.1\r\n\r\n") == no_content);
    CHECK(c.send("DELETE /v1/keys/a%2Fb%20c HTTP/1.1\r\n\r\n") == not_found);
    CHECK(c.send("GET /v1/keys/a%2Fb%20c HTTP/1.1\r\n\r\n") == not_found);
    CHECK(c.send(with_body("PUT /v1/keys/t?ttl_ms=1500 HTTP/1.1", "v")) == no_content);
    CHECK(c.w.store.pttl("t") <= 1500);
    CHECK(c.w.store.pttl("t") >= 1500 - 100);
    CHECK(c.send(with_body("PUT /v1/keys/t?ttl_ms=soon HTTP/1.1", "v")) ==
          text("400 Bad Request", "ttl_ms must be a positive integer\n"));
    CHECK(c.send(with_body("PUT /v1/keys/t?other=1 HTTP/1.1", "v")) ==
          text("400 Bad Request", "ttl_ms must be a positive integer\n"));
    CHECK(c.send(with_body("POST /v1/keys/t HTTP/1.1", "v")) ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD, PUT, DELETE\r\n"));
    const std::string bad_key =
        text("400 Bad Request", "the key must be a non-empty, well-formed percent-encoded path segment\n");
    CHECK(c.send("GET /v1/keys/bad%zz HTTP/1.1\r\n\r\n") == bad_key);
    CHECK(c.send("DELETE /v1/keys/ HTTP/1.1\r\n\r\n") == bad_key);
    CHECK(c.send("GET /v1/keys/" + std::string(257, 'k') + " HTTP/1.1\r\n\r\n") ==
          text("400 Bad Request", "key is larger than max-key (256 bytes)\n"));
    CHECK(c.send(with_body("PUT /v1/keys/k HTTP/1.1", std::string(4097, 'v'))) ==
          text("413 Content Too Large", "value is larger than max-value (4096 bytes)\n"));
    CHECK(c.send("GET /v1/keys HTTP/1.1\r\n\r\n") == not_found);
    CHECK(c.send("GET /nowhere HTTP/1.1\r\n\r\n") == not_found);
    CHECK(c.count(Op::set, true) == 2);
    CHECK(c.count(Op::set, false) == 3);
    CHECK(c.count(Op::del, true) == 2);
    CHECK(c.count(Op::del, false) == 1);
    CHECK(c.count(Op::get, true) == 3);
    CHECK(c.count(Op::get, false) == 2);
    CHECK(c.count(Op::bad_request, false) == 3); // POST on a key, and the two unknown paths
}

TEST_CASE("cachenode HTTP: a full cache under noeviction answers 507") {
    fuzz::World w;
    Config cfg = w.cfg;
    cfg.store.policy = Policy::noeviction;
    Store store(cfg.store);
    Stats stats(cfg, store);
    Shared shared{store, cfg, stats, w.auth, {}, {1}};
    HttpSession s(shared, w.ws);
    std::string out, reply;
    std::size_t consumed = 0;
    for (int i = 0; i < 1000 && !reply.starts_with("HTTP/1.1 507"); ++i) {
        out.clear();
        s.on_data(with_body("PUT /v1/keys/k" + std::to_string(i) + " HTTP/1.1", std::string(4000, 'v')), consumed,
                  out);
        reply = out;
    }
    CHECK(reply == text("507 Insufficient Storage",
                        "out of memory: the cache is full and the eviction policy is noeviction\n"));
}

TEST_CASE("cachenode HTTP: Bearer tokens; /healthz needs none") {
    HttpConn c("s3cret");
    const std::string unauthorized =
        text("401 Unauthorized", "authentication required\n", "WWW-Authenticate: Bearer realm=\"cachenode\"\r\n");
    CHECK(c.send("GET /get?key=k HTTP/1.1\r\n\r\n") == unauthorized);
    CHECK(c.send("GET /get?key=k HTTP/1.1\r\nAuthorization: Bearer wrong\r\n\r\n") == unauthorized);
    CHECK(c.send("GET /get?key=k HTTP/1.1\r\nAuthorization: Basic czNjcmV0\r\n\r\n") == unauthorized);
    CHECK(c.send("GET /metrics HTTP/1.1\r\n\r\n") == unauthorized);
    CHECK(c.send("GET /nowhere HTTP/1.1\r\n\r\n") == unauthorized);
    CHECK(c.send(with_body("POST /metrics HTTP/1.1", "")) == unauthorized); // who asks is checked first
    CHECK(c.send("GET /healthz HTTP/1.1\r\n\r\n") == text("200 OK", "ok\n"));
    CHECK(c.send(with_body("POST /healthz HTTP/1.1", "")) ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"));
    CHECK(c.send("GET /get?key=k HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n") == not_found);
    CHECK(c.send("GET /get?key=k HTTP/1.1\r\nAuthorization: bearer   s3cret\r\n\r\n") == not_found);
    CHECK(c.send("GET /nowhere HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n") == not_found);
    CHECK(c.count(Op::auth, false) == 6);

    // Without credentials a body may be 16 KiB; with them, --max-request.
    HttpConn big("s3cret");
    big.w.cfg.max_request = 1 << 20;
    HttpSession s(big.w.shared, big.w.ws);
    std::string out;
    std::size_t consumed = 0;
    s.on_data("PUT /v1/keys/k HTTP/1.1\r\nContent-Length: 20000\r\n\r\n", consumed, out);
    CHECK(out == "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n"
                 "Connection: close\r\n\r\nrequest body larger than 16384 bytes\n");
    HttpSession authorized(big.w.shared, big.w.ws);
    out.clear();
    authorized.on_data("PUT /v1/keys/k HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nContent-Length: 20000\r\n\r\n",
                       consumed, out);
    CHECK(out == "");
}

TEST_CASE("cachenode HTTP: /metrics") {
    HttpConn c;
    c.send("GET /get?key=k HTTP/1.1\r\n\r\n");
    std::string page = c.send("GET /metrics HTTP/1.1\r\n\r\n");
    CHECK(page.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    CHECK(page.find("\ncachenode_operations_total{protocol=\"http\",command=\"get\",result=\"ok\"} 1\n") !=
          std::string::npos);
    CHECK(page.find("\ncachenode_keyspace_misses_total 1\n") != std::string::npos);
    CHECK(page.find("\ncachenode_memory_limit_bytes 1048576\n") != std::string::npos);
    CHECK(page.find("\ncachenode_evictions_total{policy=\"sieve\"} 0\n") != std::string::npos);
    CHECK(c.send(with_body("DELETE /metrics HTTP/1.1", "")) ==
          text("405 Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"));
}

TEST_CASE("cachenode HTTP: pipelining, keep-alive, Connection: close and 100-continue") {
    HttpConn c;
    CHECK(c.send(with_body("PUT /v1/keys/k HTTP/1.1", "hi") + "GET /v1/keys/k HTTP/1.1\r\n\r\n") ==
          no_content +
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n"
              "Connection: keep-alive\r\n\r\nhi");
    CHECK(c.after == net::After::keep);

    // A request cut anywhere is answered once it is whole.
    std::string whole = with_body("PUT /v1/keys/cut HTTP/1.1", "value");
    for (std::size_t cut = 1; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        HttpConn fresh;
        CHECK(fresh.send(whole.substr(0, cut)) == "");
        CHECK(fresh.send(whole.substr(cut)) == no_content);
    }

    HttpConn closing;
    std::string close = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    std::string out;
    std::size_t consumed = 0;
    CHECK(closing.s.on_data(close + "GET /healthz HTTP/1.1\r\n\r\n", consumed, out) == net::After::close);
    CHECK(consumed == close.size());
    CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
                 "Connection: close\r\n\r\nok\n");

    HttpConn old;
    CHECK(old.send("GET /healthz HTTP/1.0\r\n\r\n").find("Connection: close\r\n") != std::string::npos);
    CHECK(old.after == net::After::close);

    HttpConn expect;
    CHECK(expect.send("PUT /v1/keys/k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n") ==
          "HTTP/1.1 100 Continue\r\n\r\n");
    CHECK(expect.send("hi") == no_content);
}

TEST_CASE("cachenode HTTP: malformed requests get an error, then the connection closes") {
    struct Case {
        std::string in, reply;
    } cases[] = {
        {"BLAH / HTTP/1.1\r\n\r\n", "400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                    "Content-Length: 20\r\nConnection: close\r\n\r\ninvalid HTTP method\n"},
        {"GET / HTTP/1.1\r\nX: " + std::string(70000, 'a') + "\r\n\r\n",
         "431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\n"
         "Connection: close\r\n\r\nrequest header fields too large\n"},
        {"PUT /v1/keys/k HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
         "413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n"
         "Connection: close\r\n\r\nrequest body larger than 16384 bytes\n"},
    };
    // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
    for (const auto& kase : cases) {
        const std::string& in = kase.in;
        const std::string& reply = kase.reply;
        CAPTURE(in.substr(0, 40));
        HttpConn c;
        CHECK(c.send("GET /healthz HTTP/1.1\r\n\r\n" + in) == text("200 OK", "ok\n") + "HTTP/1.1 " + reply);
        CHECK(c.after == net::After::close);
        CHECK(c.count(Op::bad_request, false) == 1);
    }
}

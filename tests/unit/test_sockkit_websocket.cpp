// sockkit/websocket and utf8: the handshake, client frames (masking, lengths, fragments,
// control frames, close codes, UTF-8), server frames.
#include "sockkit/utf8.hpp"
#include "sockkit/websocket.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using namespace syskit;
using namespace syskit::sockkit;

namespace {
/// A client frame: masked with a fixed key, length in the shortest form unless len_bytes says.
std::string frame(std::uint8_t b0, std::string_view payload, bool mask = true, int len_bytes = 0) {
    std::string f;
    f += static_cast<char>(b0);
    std::uint64_t n = payload.size();
    std::uint8_t m = mask ? 0x80 : 0;
    if (len_bytes == 0)
        len_bytes = n < 126 ? 1 : n <= 0xffff ? 2 : 8;
    if (len_bytes == 1) {
        f += static_cast<char>(m | n);
    } else {
        f += static_cast<char>(m | (len_bytes == 2 ? 126 : 127));
        for (int i = len_bytes - 1; i >= 0; --i)
            f += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    const char key[4] = {'\x12', '\x34', '\x56', '\x78'};
    if (mask)
        f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += mask ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
    return f;
}

struct Outcome {
    ws::Reader::Result result;
    ws::Event ev;
    std::uint16_t code;
};

Outcome read(ws::Reader& r, const std::string& in) {
    std::size_t used = 0;
    Outcome o{};
    std::string_view rest = in;
    for (;;) {
        o.result = r.next(rest, used, o.ev);
        rest.remove_prefix(used);
        if (o.result != ws::Reader::Result::need_more || rest.empty() || used == 0)
            break;
    }
    o.code = r.code();
    return o;
}
} // namespace

TEST_CASE("sockkit websocket: the RFC's handshake example and refusals") {
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    http::Request req;
    req.method = "GET";
    req.target = "/";
    req.headers = {{"upgrade", "WebSocket"},
                   {"connection", "keep-alive, Upgrade"},
                   {"sec-websocket-version", "13"},
                   {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    CHECK(ws::is_upgrade(req));
    int status = 0;
    std::string out = ws::handshake(req, status);
    CHECK(status == 101);
    CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    req.headers[2].second = "8";
    out = ws::handshake(req, status);
    CHECK(status == 426);
    CHECK(out.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
    req.headers[2].second = "13";
    req.headers[3].second = "short";
    ws::handshake(req, status);
    CHECK(status == 400);
    req.headers[3].second = "dGhlIHNhbXBsZSBub25jZQ==";
    req.headers[1].second = "keep-alive";
    ws::handshake(req, status);
    CHECK(status == 400);
    req.headers[1].second = "upgrade";
    req.method = "POST";
    ws::handshake(req, status);
    CHECK(status == 400);
}

TEST_CASE("sockkit websocket: messages, fragments with a ping between, and close") {
    ws::Reader r;
    auto o = read(r, frame(0x81, "hello"));
    REQUIRE(o.result == ws::Reader::Result::event);
    CHECK(o.ev.kind == ws::Event::message);
    CHECK(o.ev.opcode == ws::text);
    CHECK(o.ev.data == "hello");

    std::string in = frame(0x01, "frag") + frame(0x89, "p") + frame(0x80, "ment");
    std::size_t used = 0;
    ws::Event ev;
    REQUIRE(r.next(in, used, ev) == ws::Reader::Result::event);
    CHECK(ev.kind == ws::Event::ping);
    CHECK(ev.data == "p");
    in.erase(0, used);
    REQUIRE(r.next(in, used, ev) == ws::Reader::Result::event);
    CHECK(ev.data == "fragment");
    CHECK(used == in.size());

    // Byte by byte: nothing until the frame is whole.
    std::string big = frame(0x82, std::string(70000, 'b'));
    std::string buf;
    for (std::size_t i = 0; i + 1 < big.size(); i += 9973) {
        buf += big.substr(i, 9973);
        if (buf.size() < big.size())
            CHECK(r.next(buf, used, ev) == ws::Reader::Result::need_more);
    }
    REQUIRE(r.next(big, used, ev) == ws::Reader::Result::event);
    CHECK(ev.opcode == ws::binary);
    CHECK(ev.data.size() == 70000);

    o = read(r, frame(0x88, std::string("\x03\xe8", 2) + "bye"));
    CHECK(o.ev.kind == ws::Event::close);
    CHECK(o.ev.code == 1000);
    CHECK(o.ev.reason == "bye");
    ws::Reader r2;
    o = read(r2, frame(0x88, ""));
    CHECK(o.ev.code == ws::no_code);
}

TEST_CASE("sockkit websocket: violations get their close codes") {
    auto code_of = [](const std::string& in, ws::Limits limits = {}) {
        ws::Reader r(limits);
        return read(r, in).code;
    };
    CHECK(code_of(frame(0x81, "x", false)) == 1002);                         // unmasked
    CHECK(code_of(frame(0xc1, "x")) == 1002);                                // RSV1
    CHECK(code_of(frame(0x83, "x")) == 1002);                                // opcode 3
    CHECK(code_of(frame(0x09, "x")) == 1002);                                // fragmented ping
    CHECK(code_of(frame(0x89, std::string(126, 'p'))) == 1002);              // control over 125
    CHECK(code_of(frame(0x80, "x")) == 1002);                                // continuation alone
    CHECK(code_of(frame(0x01, "a") + frame(0x81, "b")) == 1002);             // new message inside
    CHECK(code_of(frame(0x81, "x", true, 2)) == 1002);                       // length not shortest
    CHECK(code_of(frame(0x88, "\x03")) == 1002);                             // one-byte close
    CHECK(code_of(frame(0x88, std::string("\x03\xed", 2))) == 1002);         // close code 1005
    CHECK(code_of(frame(0x88, std::string("\x03\xe8\xff", 3))) == 1007);     // reason not UTF-8
    CHECK(code_of(frame(0x81, "\xc3\x28")) == 1007);                         // invalid UTF-8
    CHECK(code_of(frame(0x81, "\xed\xa0\x80")) == 1007);                     // a surrogate
    CHECK(code_of(frame(0x01, "\xff") + frame(0x80, "x")) == 1007);          // fails at the first fragment
    CHECK(code_of(frame(0x81, std::string(200, 'x')), {125, 1000}) == 1009); // frame too big
    CHECK(code_of(frame(0x01, std::string(100, 'x')) + frame(0x80, std::string(100, 'x')), {125, 150}) == 1009);
    // 2^63 in the length: refused from the header alone.
    std::string huge = "\x82\xff\x80";
    huge += std::string(7, '\0');
    CHECK(code_of(huge) == 1002);
    huge[2] = '\x7f';
    CHECK(code_of(huge + "mask") == 1009);
    // A character split across fragments is fine.
    ws::Reader r;
    auto o = read(r, frame(0x01, "\xc3") + frame(0x80, "\xa9"));
    CHECK(o.result == ws::Reader::Result::event);
    CHECK(o.ev.data == "\xc3\xa9");
}

TEST_CASE("sockkit websocket: server frames and close reasons") {
    std::string out;
    ws::write_frame(out, ws::text, "hi");
    CHECK(out == "\x81\x02hi");
    out.clear();
    ws::write_frame(out, ws::binary, std::string(300, 'x'));
    CHECK(out.substr(0, 4) == std::string("\x82\x7e\x01\x2c", 4));
    out.clear();
    ws::write_frame(out, ws::binary, std::string(70000, 'x'));
    CHECK(out.substr(0, 10) == std::string("\x82\x7f\0\0\0\0\0\x01\x11\x70", 10));
    out.clear();
    // A reason cut to 123 bytes, not inside a character.
    ws::write_close(out, 1009, std::string(122, 'a') + "\xc3\xa9");
    CHECK(out.size() == 2 + 2 + 122);
    CHECK(ws::valid_close_code(1000));
    CHECK(ws::valid_close_code(4999));
    CHECK_FALSE(ws::valid_close_code(1005));
    CHECK_FALSE(ws::valid_close_code(1006));
    CHECK_FALSE(ws::valid_close_code(999));
    CHECK_FALSE(ws::valid_close_code(5000));
}

TEST_CASE("sockkit utf8") {
    CHECK(valid_utf8("plain"));
    CHECK(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    CHECK_FALSE(valid_utf8("\xc0\xaf"));         // overlong
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80")); // past U+10FFFF
    CHECK_FALSE(valid_utf8("\xe2\x82"));         // cut short
    CHECK(utf8_prefix("ab\xe2\x82") == 4);       // could still be completed
    CHECK(utf8_prefix("ab\xff") == 2);
    CHECK(to_utf8("a\xffz\xe2\x82\xac") == "a?z\xe2\x82\xac");
}

#include "websocket.hpp"

#include "http_server.hpp"
#include "utf8.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <strings.h>

#include <fmt/format.h>

namespace syskit::sockkit::ws {

namespace {

bool is_control(std::uint8_t op) { return op >= 8; }

/// Whether the comma-separated header value list holds token, compared without case.
bool has_token(const std::string* value, std::string_view token) {
    if (!value)
        return false;
    std::string_view v = *value;
    while (!v.empty()) {
        auto comma = v.find(',');
        std::string_view t = v.substr(0, comma);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
            t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
            t.remove_suffix(1);
        if (t.size() == token.size() && strncasecmp(t.data(), token.data(), t.size()) == 0)
            return true;
        if (comma == std::string_view::npos)
            break;
        v.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

Reader::Result Reader::fail(std::uint16_t code, std::string why) {
    code_ = code;
    error_ = std::move(why);
    return Result::error;
}

Reader::Result Reader::next(std::string_view in, std::size_t& consumed, Event& ev) {
    consumed = 0;
    if (code_)
        return Result::error;
    for (;;) {
        std::string_view f = in.substr(consumed);
        if (f.size() < 2)
            return Result::need_more;
        auto b0 = static_cast<std::uint8_t>(f[0]), b1 = static_cast<std::uint8_t>(f[1]);
        const bool fin = b0 & 0x80;
        const std::uint8_t op = b0 & 0x0f;
        if (b0 & 0x70)
            return fail(protocol_error, "reserved bits set without an extension");
        if (op != continuation && op != text && op != binary && op != close && op != ping && op != pong)
            return fail(protocol_error, fmt::format("unknown opcode {}", op));
        if (!(b1 & 0x80))
            return fail(protocol_error, "an unmasked frame from a client");
        std::uint64_t len = b1 & 0x7f;
        std::size_t at = 2;
        if (len == 126 || len == 127) {
            std::size_t n = len == 126 ? 2 : 8;
            if (f.size() < at + n)
                return Result::need_more;
            len = 0;
            for (std::size_t i = 0; i < n; ++i)
                len = len << 8 | static_cast<std::uint8_t>(f[at + i]);
            at += n;
            if (n == 8 && (len >> 63))
                return fail(protocol_error, "a frame length of 2^63 or more");
            if ((n == 2 && len < 126) || (n == 8 && len <= 0xffff))
                return fail(protocol_error, "a frame length not in its shortest form");
        }
        if (is_control(op) && (!fin || len > 125))
            return fail(protocol_error, !fin ? "a fragmented control frame" : "a control frame over 125 bytes");
        if (len > limits_.max_frame)
            return fail(too_big, fmt::format("a frame of {} bytes, over the limit of {}", len, limits_.max_frame));
        if (f.size() < at + 4 + len)
            return Result::need_more;
        const char* mask = f.data() + at;
        std::string payload(f.substr(at + 4, static_cast<std::size_t>(len)));
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
        consumed += at + 4 + static_cast<std::size_t>(len);

        if (op == ping || op == pong) {
            ev = Event{op == ping ? Event::ping : Event::pong, text, std::move(payload), 0, {}};
            return Result::event;
        }
        if (op == close) {
            ev = Event{Event::close, text, {}, no_code, {}};
            if (payload.size() == 1)
                return fail(protocol_error, "a close frame with a one-byte payload");
            if (payload.size() >= 2) {
                ev.code = static_cast<std::uint16_t>(static_cast<std::uint8_t>(payload[0]) << 8 |
                                                     static_cast<std::uint8_t>(payload[1]));
                if (!valid_close_code(ev.code))
                    return fail(protocol_error, fmt::format("close code {} is not one an endpoint may send", ev.code));
                ev.reason = payload.substr(2);
                if (!valid_utf8(ev.reason))
                    return fail(invalid_data, "a close reason that is not UTF-8");
            }
            return Result::event;
        }
        if (op == continuation && !in_message_)
            return fail(protocol_error, "a continuation frame without a message to continue");
        if (op != continuation && in_message_)
            return fail(protocol_error, "a new message before the fragmented one ended");
        if (op != continuation) {
            in_message_ = true;
            message_opcode_ = static_cast<Opcode>(op);
            message_.clear();
        }
        if (message_.size() + payload.size() > limits_.max_message)
            return fail(too_big, fmt::format("a message over the limit of {} bytes", limits_.max_message));
        message_ += payload;
        // Invalid text fails as soon as it shows, not at the end of a long message.
        if (message_opcode_ == text && utf8_prefix(message_) != message_.size())
            return fail(invalid_data, "a text message that is not UTF-8");
        if (!fin)
            continue;
        if (message_opcode_ == text && !valid_utf8(message_))
            return fail(invalid_data, "a text message that is not UTF-8");
        in_message_ = false;
        ev = Event{Event::message, message_opcode_, std::move(message_), 0, {}};
        message_.clear();
        return Result::event;
    }
}

void write_frame(std::string& out, Opcode opcode, std::string_view payload) {
    out += static_cast<char>(0x80 | opcode);
    const std::uint64_t n = payload.size();
    if (n < 126) {
        out += static_cast<char>(n);
    } else if (n <= 0xffff) {
        out += static_cast<char>(126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xff);
    } else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((n >> shift) & 0xff);
    }
    out += payload;
}

void write_close(std::string& out, std::uint16_t code, std::string_view reason) {
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xff);
    // Cut at a character boundary: the reason must stay UTF-8.
    std::string_view r = reason.substr(0, 123);
    while (!valid_utf8(r))
        r.remove_suffix(1);
    payload += r;
    write_frame(out, close, payload);
}

bool valid_close_code(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

bool is_upgrade(const http::Request& req) { return has_token(req.header("upgrade"), "websocket"); }

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input = std::string(key) + std::string(guid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

std::string handshake(const http::Request& req, int& status) {
    auto refuse = [&](int code, std::string_view why, std::string_view extra = {}) {
        status = code;
        std::string body = std::string(why) + "\n";
        return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
                           "Connection: close\r\n{}\r\n{}",
                           code, status_reason(code), body.size(), extra, body);
    };
    if (req.method != "GET")
        return refuse(400, "a WebSocket handshake is a GET");
    if (!has_token(req.header("connection"), "upgrade"))
        return refuse(400, "a WebSocket handshake needs Connection: Upgrade");
    const std::string* version = req.header("sec-websocket-version");
    if (!version || *version != "13")
        return refuse(426, "only WebSocket version 13 is spoken here", "Sec-WebSocket-Version: 13\r\n");
    const std::string* key = req.header("sec-websocket-key");
    unsigned char raw[32];
    // 16 random bytes in base64: 24 characters ending in "==", which decode to 18 bytes with
    // the padding counted.
    if (!key || key->size() != 24 || key->substr(22) != "==" ||
        EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(key->data()), 24) != 18)
        return refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64");
    status = 101;
    return fmt::format("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: {}\r\n\r\n",
                       accept_key(*key));
}

} // namespace syskit::sockkit::ws

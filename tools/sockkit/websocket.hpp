// websocket: RFC 6455 for servers, apart from any socket: the opening handshake's checks and
// answer, a reader of client frames (masking required, lengths and limits checked, fragments
// reassembled, text checked as UTF-8, close codes validated) and the writing of server frames
// (book chapter 10).
#pragma once

#include "http/http.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::sockkit::ws {

enum Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

/// Close codes this module sends (RFC 6455, 7.4.1).
enum Code : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported = 1003,
    no_code = 1005, ///< received only: a close frame without a code
    invalid_data = 1007,
    too_big = 1009,
};

struct Limits {
    std::size_t max_frame = std::size_t{1} << 20;   ///< the largest frame payload
    std::size_t max_message = std::size_t{4} << 20; ///< the largest reassembled message
};

/// What a client said, once a frame completes something.
struct Event {
    enum Kind { message, ping, pong, close } kind = message;
    Opcode opcode = text;   ///< message: text or binary
    std::string data;       ///< the message, or the ping's or pong's payload
    std::uint16_t code = 0; ///< close: the code (no_code when none was sent)
    std::string reason;     ///< close: the reason (UTF-8)
};

/// Reads the frames a client sends.
class Reader {
public:
    enum class Result {
        need_more, ///< every complete frame in the input was used; nothing to report yet
        event,     ///< ev is filled; consumed says how much input it took
        error,     ///< a protocol violation: close with code() and say error()
    };
    explicit Reader(Limits limits = {}) : limits_(limits) {}

    /// Reads frames from the front of in until one completes an event.  consumed: the bytes
    /// used, whatever the result, which the caller drops from its buffer (a frame is used only
    /// when it is whole; the fragments of a message are kept here).
    Result next(std::string_view in, std::size_t& consumed, Event& ev);
    std::uint16_t code() const { return code_; }
    const std::string& error() const { return error_; }

private:
    Result fail(std::uint16_t code, std::string why);
    Limits limits_;
    bool in_message_ = false;
    Opcode message_opcode_ = text;
    std::string message_;
    std::uint16_t code_ = 0;
    std::string error_;
};

/// Appends a server frame (unmasked, FIN set) with opcode and payload to out.
void write_frame(std::string& out, Opcode opcode, std::string_view payload);

/// Appends a close frame with code and reason (cut to fit the 125 bytes of a control frame).
void write_close(std::string& out, std::uint16_t code, std::string_view reason);

/// Whether a close code may be sent by an endpoint (RFC 6455 7.4, and the IANA registry).
bool valid_close_code(std::uint16_t code);

/// Whether req asks for a WebSocket (an Upgrade header naming websocket).
bool is_upgrade(const http::Request& req);

/// The answer to an upgrade request: "101 Switching Protocols" with Sec-WebSocket-Accept when
/// it is a valid one (GET, Connection: upgrade, version 13, a 16-byte key), otherwise 400, or
/// 426 naming version 13.  status receives the code.
std::string handshake(const http::Request& req, int& status);

/// Sec-WebSocket-Accept for key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);

} // namespace syskit::sockkit::ws

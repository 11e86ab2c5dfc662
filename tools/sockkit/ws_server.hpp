// ws_server: WebSocket over any stream socket: the page at "/" (the book's websocket-js page,
// made a chat), the upgrade to RFC 6455, then echo, or the chat Room shared with line clients.
#pragma once

#include "options.hpp"
#include "room.hpp"
#include "server.hpp"
#include "websocket.hpp"

namespace syskit::sockkit {

class WsService : public Service {
public:
    /// room: the chat to join browsers to; nullptr to echo every message.
    WsService(const Options& o, Room* room, log::Logger& logger);
    void opened(Conn& c) override;
    void received(Conn& c, std::string_view data) override;
    void closed(Conn& c, std::string_view reason) override;
    void tick(std::uint64_t now_ms) override;

private:
    struct State : ConnState {
        State(const http::Limits& http_limits, const ws::Limits& ws_limits)
            : parser(http_limits), reader(ws_limits) {}
        http::RequestParser parser;
        ws::Reader reader;
        std::string in;
        bool upgraded = false;
        bool close_sent = false;
    };
    void http(Conn& c, State& st);
    void frames(Conn& c, State& st);
    void close(Conn& c, State& st, std::uint16_t code, std::string_view reason);

    ws::Limits limits_;
    Room* room_;
    log::Logger& logger_;
};

/// The page served at "/": a chat (or echo) client in HTML and JavaScript.
extern const std::string_view page_html;

/// ws serve: WebSocket on o.address until SIGINT or SIGTERM; the exit status.
int ws_serve(const Options& o, log::Logger& logger);

} // namespace syskit::sockkit

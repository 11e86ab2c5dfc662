// chat: the chat server and client of chapter 7: the Hub on sockets, one line reader per
// client, a bounded queue per client (a stalled reader is dropped, never waited for), and on
// Unix sockets the peer's credentials shown and checked.
#pragma once

#include "lines.hpp"
#include "room.hpp"
#include "options.hpp"
#include "server.hpp"

namespace syskit::sockkit {

class ChatService : public Service {
public:
    ChatService(const Options& o, Room& room, log::Logger& logger) : o_(o), logger_(logger), room_(room) {}
    std::optional<std::string> admit(const Peer& peer) override;
    void opened(Conn& c) override;
    void received(Conn& c, std::string_view data) override;
    void closed(Conn& c, std::string_view reason) override;
    void tick(std::uint64_t now_ms) override { room_.hub().tick(now_ms); }

private:
    struct State : ConnState {
        explicit State(std::size_t max) : lines(max) {}
        LineReader lines;
    };
    const Options& o_;
    log::Logger& logger_;
    Room& room_;
};

/// chat serve: the hub on o.address (and for browsers on o.ws_address) until SIGINT or
/// SIGTERM; the exit status.
int chat_serve(const Options& o, log::Logger& logger);

/// chat join: standard input to the hub line by line (after "/name NAME" with --name), what
/// the hub says to standard output; at the end of the input "/quit", then what is left to read.
/// 0 after /quit, 1 when the hub closed first, 2 on an error.
int chat_join(const Options& o);

} // namespace syskit::sockkit

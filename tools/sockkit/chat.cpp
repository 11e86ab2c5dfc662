#include "chat.hpp"

#include "client.hpp"
#include "serve.hpp"
#include "ws_server.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace syskit::sockkit {

std::optional<std::string> ChatService::admit(const Peer& peer) {
    if (o_.allow_uid.empty() && o_.allow_gid.empty())
        return std::nullopt;
    if (peer.cred) {
        auto& u = o_.allow_uid;
        auto& g = o_.allow_gid;
        if (std::find(u.begin(), u.end(), peer.cred->uid) != u.end() ||
            std::find(g.begin(), g.end(), peer.cred->gid) != g.end())
            return std::nullopt;
        return fmt::format("! uid {} gid {} may not join this chat\n", peer.cred->uid, peer.cred->gid);
    }
    return std::string("! who you are is unknown (no SO_PEERCRED); not admitted\n");
}

void ChatService::opened(Conn& c) {
    c.state = std::make_unique<State>(o_.max_line);
    Conn* conn = &c;
    room_.add(
        c.peer().id,
        [conn](std::string_view line) {
            std::string l(line);
            l += '\n';
            conn->send(l);
        },
        [conn] { conn->close_after_send(); });
    room_.hub().connect(c.peer().id, c.peer().address, c.now());
}

void ChatService::received(Conn& c, std::string_view data) {
    auto& st = static_cast<State&>(*c.state);
    const auto id = c.peer().id;
    bool ok = st.lines.feed(data, [&](std::string_view line) {
        if (c.open())
            room_.hub().line(id, line);
    });
    if (!ok && c.open()) {
        std::string reason = fmt::format("sent a line longer than {} bytes", o_.max_line);
        logger_.warn("line too long", {{"conn", id}, {"max", static_cast<std::uint64_t>(o_.max_line)}});
        c.send(fmt::format("! your line is longer than {} bytes; disconnecting\n", o_.max_line));
        room_.hub().leave(id, reason);
        c.close_after_send();
    }
}

void ChatService::closed(Conn& c, std::string_view reason) {
    room_.remove(c.peer().id);
    room_.hub().leave(c.peer().id, reason);
}

int chat_serve(const Options& o, log::Logger& logger) {
    Room room(o.history);
    ChatService chat(o, room, logger);
    WsService browsers(o, &room, logger);
    const ServerConfig config{.max_queue = o.max_queue, .overflow = Overflow::disconnect, .tick_ms = 50};
    std::vector<Endpoint> endpoints{{o.address, &chat, config}};
    if (o.ws_address)
        endpoints.push_back({*o.ws_address, &browsers, config});
    return serve(o, endpoints, logger);
}

int chat_join(const Options& o) {
    Stream s;
    std::string why;
    if (!s.connect(o.address, o.ca, why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    const std::string subject = o.address.str();
    Session session;
    if (!o.name.empty())
        session.greeting = "/name " + o.name + "\n";
    bool mid_line = false;
    session.input = [&](std::string_view piece, bool end) {
        if (!end) {
            mid_line = piece.back() != '\n';
            return std::string(piece);
        }
        // The hub frames lines: a last line without its newline still gets one.
        return std::string(mid_line ? "\n" : "") + "/quit\n";
    };
    session.closed = [&](const Session::State& st) {
        if (!st.input_ended || !st.refused.empty()) {
            cli::error(subject, "the hub closed the connection");
            return cli::exit_found;
        }
        return cli::exit_ok;
    };
    return run_session(s, subject, session);
}

} // namespace syskit::sockkit

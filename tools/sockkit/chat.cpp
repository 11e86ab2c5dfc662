#include "chat.hpp"

#include "client.hpp"
#include "serve.hpp"
#include "ws_server.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
    if (!o.name.empty() && !s.write_all("/name " + o.name + "\n", why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    bool input_open = true, mid_line = false, hub_closed = false;
    std::string buf(65536, '\0');
    for (;;) {
        if (!s.pending()) {
            pollfd fds[2] = {{s.fd(), POLLIN, 0}, {0, POLLIN, 0}};
            if (poll(fds, input_open ? 2 : 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                cli::error("poll", std::strerror(errno));
                return cli::exit_trouble;
            }
            if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = ::read(0, buf.data(), buf.size());
                if (n < 0 && errno != EINTR) {
                    cli::error("standard input", std::strerror(errno));
                    return cli::exit_trouble;
                }
                std::string_view in(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
                if (n == 0)
                    input_open = false;
                else if (n > 0)
                    mid_line = in.back() != '\n';
                // The hub frames lines: a last line without its newline still gets one.
                std::string last = n == 0 ? std::string(mid_line ? "\n" : "") + "/quit\n" : std::string();
                if ((n > 0 && !s.write_all(in, why)) || (n == 0 && !s.write_all(last, why))) {
                    // The hub may have closed after saying why: read that before leaving.
                    if (errno != EPIPE && errno != ECONNRESET) {
                        cli::error(o.address.str(), why);
                        return cli::exit_trouble;
                    }
                    input_open = false;
                    hub_closed = true;
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
        }
        ssize_t n = s.read(buf.data(), buf.size(), why);
        if (n < 0) {
            cli::error(o.address.str(), why);
            return cli::exit_trouble;
        }
        if (n == 0) {
            if (input_open || hub_closed) {
                cli::error(o.address.str(), "the hub closed the connection");
                return cli::exit_found;
            }
            return cli::exit_ok;
        }
        if (!fs::write_all(1, buf.data(), static_cast<std::size_t>(n))) {
            cli::error("standard output", std::strerror(errno));
            return cli::exit_trouble;
        }
    }
}

} // namespace syskit::sockkit

#include "ws_server.hpp"

#include "http_server.hpp"
#include "serve.hpp"

#include <fmt/format.h>

namespace syskit::sockkit {

namespace {
/// A handshake or a page request has no business with a body.
const http::Limits http_limits{.max_head = 16 * 1024, .max_body = 0};
} // namespace

WsService::WsService(const Options& o, Room* room, log::Logger& logger)
    : limits_{o.max_frame, o.max_message}, room_(room), logger_(logger) {}

void WsService::opened(Conn& c) { c.state = std::make_unique<State>(http_limits, limits_); }

void WsService::received(Conn& c, std::string_view data) {
    auto& st = static_cast<State&>(*c.state);
    st.in.append(data);
    if (!st.upgraded)
        http(c, st);
    if (st.upgraded && c.open())
        frames(c, st);
}

void WsService::http(Conn& c, State& st) {
    while (c.open() && !st.upgraded) {
        std::size_t used = 0;
        auto r = st.parser.parse(st.in, used);
        if (r == http::RequestParser::Result::need_more) {
            st.in.clear();
            return;
        }
        if (r == http::RequestParser::Result::error) {
            std::string out;
            http::write_response(out, st.parser.error_status(), "text/plain; charset=utf-8",
                                 st.parser.error_message() + "\n", false);
            c.send(out);
            c.close_after_send();
            return;
        }
        st.in.erase(0, used);
        auto& req = st.parser.request();
        std::string out;
        if (ws::is_upgrade(req)) {
            int status = 0;
            out = ws::handshake(req, status);
            logger_.info("upgrade", {{"conn", c.peer().id}, {"status", static_cast<std::int64_t>(status)}});
            c.send(out);
            if (status != 101) {
                c.close_after_send();
                return;
            }
            st.upgraded = true;
            if (room_) {
                Conn* conn = &c;
                room_->add(
                    c.peer().id,
                    [conn](std::string_view line) {
                        std::string frame;
                        ws::write_frame(frame, ws::text, line);
                        conn->send(frame);
                    },
                    [this, conn] {
                        auto& s = static_cast<State&>(*conn->state);
                        close(*conn, s, ws::normal, "bye");
                    });
                room_->hub().connect(c.peer().id, c.peer().address, c.now());
                // A name in the request's query ("/?name=web") joins under it at once, where a
                // "/name" line sent once the socket is open could come after the guest grace.
                if (auto name = http::query_param(req.query(), "name"))
                    room_->hub().line(c.peer().id, "/name " + *name);
            }
            return;
        }
        const bool head = req.method == "HEAD";
        if ((req.method == "GET" || head) && req.path() == "/")
            http::write_response(out, 200, "text/html; charset=utf-8", page_html, req.keep_alive, {}, head);
        else if (req.method != "GET" && !head)
            http::write_response(out, 405, "text/plain; charset=utf-8", "only GET is answered here\n",
                                 req.keep_alive, "Allow: GET, HEAD\r\n", head);
        else
            http::write_response(out, 404, "text/plain; charset=utf-8", "not found: the page is at /\n",
                                 req.keep_alive, {}, head);
        c.send(out);
        if (!req.keep_alive) {
            c.close_after_send();
            return;
        }
    }
}

void WsService::frames(Conn& c, State& st) {
    std::size_t at = 0;
    // What was read is dropped once, on the way out, whichever way that is.
    struct Drop {
        std::string& in;
        std::size_t& at;
        ~Drop() { in.erase(0, std::min(at, in.size())); }
    } drop{st.in, at};
    for (;;) {
        if (!c.open() || st.close_sent)
            return;
        std::size_t used = 0;
        ws::Event ev;
        auto r = st.reader.next(std::string_view(st.in).substr(at), used, ev);
        at += used;
        if (r == ws::Reader::Result::need_more)
            return;
        if (r == ws::Reader::Result::error) {
            logger_.warn("websocket error", {{"conn", c.peer().id},
                                             {"code", static_cast<std::uint64_t>(st.reader.code())},
                                             {"error", std::string_view(st.reader.error())}});
            close(c, st, st.reader.code(), st.reader.error());
            return;
        }
        std::string out;
        switch (ev.kind) {
        case ws::Event::ping:
            ws::write_frame(out, ws::pong, ev.data);
            c.send(out);
            break;
        case ws::Event::pong:
            break;
        case ws::Event::close:
            // Answer with the code the client gave, as RFC 6455 5.5.1 asks.
            close(c, st, ev.code == ws::no_code ? std::uint16_t{ws::normal} : ev.code, "");
            return;
        case ws::Event::message:
            if (!room_) {
                ws::write_frame(out, ev.opcode, ev.data);
                c.send(out);
            } else if (ev.opcode != ws::text) {
                close(c, st, ws::unsupported, "the chat takes text messages");
                return;
            } else {
                // One chat line per line of the message.
                std::string_view m = ev.data;
                while (c.open() && !st.close_sent) {
                    auto nl = m.find('\n');
                    room_->hub().line(c.peer().id, m.substr(0, nl));
                    if (nl == std::string_view::npos)
                        break;
                    m.remove_prefix(nl + 1);
                }
            }
            break;
        }
    }
}

void WsService::close(Conn& c, State& st, std::uint16_t code, std::string_view reason) {
    if (st.close_sent || !c.open())
        return;
    st.close_sent = true;
    if (room_) {
        room_->remove(c.peer().id);
        room_->hub().leave(c.peer().id, code == ws::normal || code == ws::going_away ? std::string_view()
                                                                                      : reason);
    }
    std::string out;
    ws::write_close(out, code, reason);
    c.send(out);
    c.close_after_send();
}

void WsService::closed(Conn& c, std::string_view reason) {
    if (room_) {
        room_->remove(c.peer().id);
        room_->hub().leave(c.peer().id, reason);
    }
}

void WsService::tick(std::uint64_t now_ms) {
    if (room_)
        room_->hub().tick(now_ms);
}

int ws_serve(const Options& o, log::Logger& logger) {
    std::unique_ptr<Room> room;
    if (o.chat)
        room = std::make_unique<Room>(o.history);
    WsService ws(o, room.get(), logger);
    return serve(o,
                 {{o.address, &ws,
                   {.max_queue = o.max_queue,
                    .overflow = o.chat ? Overflow::disconnect : Overflow::pause,
                    .tick_ms = o.chat ? 50u : 0u}}},
                 logger);
}

} // namespace syskit::sockkit

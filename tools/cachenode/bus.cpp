#include "bus.hpp"

#include "auth.hpp"
#include "cluster_common.hpp"

#include "net/tcp.hpp"

#include <arpa/inet.h>
#include <pthread.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <random>
#include <utility>

namespace syskit::cachenode::cluster {

namespace {

/// The numeric address of sa ("" when it is neither IPv4 nor IPv6).
std::string ip_of(const sockaddr_storage& sa) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, buf, sizeof buf);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, buf, sizeof buf);
    return buf;
}

} // namespace

struct Bus::Link {
    Bus* bus = nullptr;
    uv_tcp_t tcp{};
    uv_connect_t connect_req{};
    std::string in;
    bool outbound = false;
    bool connected = false;
    bool closing = false;
    std::int64_t created = 0; ///< outbound: when it was opened (wall_ms())
    std::string node_id;  ///< outbound: the node it goes to
    std::string peer_ip;  ///< the address the other end has
    std::string local_ip; ///< the address this end has
    std::string feeds;    ///< a master: the replica this connection streams to (it sent SYNC)
    std::uint64_t sent = 0; ///< a master: the stream's offset sent so far on it
    std::size_t copy_sent = 0; ///< a master: the bytes of the copy queued on it
    bool in_copy = false; ///< a replica: FULL chunks are arriving on it
    std::string copy, copy_replid;
    std::uint64_t copy_offset = 0;
    std::unique_ptr<net::TlsSession> tls; ///< with TLS between nodes
    std::string held;                     ///< frames waiting for the TLS handshake to end
    char buf[64 * 1024];
};

Bus::Bus(State& state, std::string bind, std::string secret, log::Logger& logger)
    : st_(state), bind_(std::move(bind)), secret_(std::move(secret)), log_(logger) {
    uv_loop_init(&loop_);
    loop_.data = this;
    uv_async_init(&loop_, &stop_async_, [](uv_async_t* a) {
        auto* b = static_cast<Bus*>(a->data);
        for (auto& [p, l] : b->links_)
            b->close(*l);
        uv_close(reinterpret_cast<uv_handle_t*>(&b->timer_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&b->listener_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&b->feed_async_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    stop_async_.data = this;
    uv_async_init(&loop_, &feed_async_, [](uv_async_t* a) { static_cast<Bus*>(a->data)->flush_feeds(); });
    feed_async_.data = this;
}

Bus::~Bus() {
    stop();
    if (!started_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&feed_async_), nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop_);
}

bool Bus::start(std::string& error) {
    net::Endpoint ep{bind_, st_.bus_port()};
    std::string why;
    fs::UniqueFd fd = net::listen_tcp(ep, false, 128, why);
    if (!fd) {
        error = ep.str() + ": " + why;
        return false;
    }
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    int rc = uv_tcp_open(&listener_, fd.get());
    if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, on_connection);
    if (rc != 0) {
        error = ep.str() + ": listen: " + uv_strerror(rc);
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
        return false;
    }
    fd.release();
    uv_timer_init(&loop_, &timer_);
    timer_.data = this;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Bus*>(t->data)->cron(); }, 100, 100);
    started_ = true;
    st_.repl_.on_feed([this] { uv_async_send(&feed_async_); });
    thread_ = std::thread([this] {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        run();
    });
    return true;
}

void Bus::stop() {
    if (!started_ || !thread_.joinable())
        return;
    uv_async_send(&stop_async_);
    thread_.join();
    st_.repl_.on_feed(nullptr);
    // A change made since the last turn of cron() would be lost with the process.
    std::string text;
    {
        std::lock_guard lock(st_.mu_);
        if (st_.dirty_) {
            text = st_.file_text_locked();
            st_.dirty_ = false;
        }
    }
    std::string why;
    if (!text.empty() && !st_.write_file(text, why))
        log_.error("cannot save the nodes file", {{"error", why}});
}

void Bus::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Bus::close(Link& l, std::string_view why) {
    if (l.closing)
        return;
    l.closing = true;
    if (!why.empty())
        log_.warn("cluster bus connection closed",
                  {{"peer", l.peer_ip}, {"node", l.node_id}, {"reason", why}, {"outbound", l.outbound}});
    if (&l == master_link_) {
        master_link_ = nullptr;
        st_.master_link_up_ = false;
    }
    if (!l.feeds.empty() &&
        std::none_of(links_.begin(), links_.end(), [&](auto& kv) { return kv.first != &l && kv.first->feeds == l.feeds; }))
        st_.repl_.detach(l.feeds);
    if (l.outbound) {
        auto it = out_.find(l.node_id);
        if (it != out_.end() && it->second == &l)
            out_.erase(it);
        std::lock_guard lock(st_.mu_);
        if (Node* n = st_.find(l.node_id))
            n->link_up = false;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&l.tcp), [](uv_handle_t* h) {
        auto* link = static_cast<Link*>(h->data);
        link->bus->links_.erase(link);
    });
}

void Bus::connect(const Peer& n) {
    auto link = std::make_unique<Link>();
    Link& l = *link;
    l.bus = this;
    l.outbound = true;
    l.created = wall_ms();
    l.node_id = n.id;
    l.peer_ip = n.ip;
    uv_tcp_init(&loop_, &l.tcp);
    l.tcp.data = &l;
    l.connect_req.data = &l;
    sockaddr_storage sa{};
    int rc = n.ip.find(':') == std::string::npos
                 ? uv_ip4_addr(n.ip.c_str(), n.cport, reinterpret_cast<sockaddr_in*>(&sa))
                 : uv_ip6_addr(n.ip.c_str(), n.cport, reinterpret_cast<sockaddr_in6*>(&sa));
    links_.emplace(&l, std::move(link));
    out_[n.id] = &l;
    if (rc == 0)
        rc = uv_tcp_connect(&l.connect_req, &l.tcp, reinterpret_cast<const sockaddr*>(&sa), on_connected);
    if (rc != 0)
        close(l, uv_strerror(rc));
}

void Bus::on_connected(uv_connect_t* req, int status) {
    auto* l = static_cast<Link*>(req->data);
    Bus* b = l->bus;
    if (status != 0) {
        if (status != UV_ECANCELED)
            b->close(*l);
        return;
    }
    l->connected = true;
    uv_tcp_nodelay(&l->tcp, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&l->tcp),
                  [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                      auto* link = static_cast<Link*>(h->data);
                      *buf = uv_buf_init(link->buf, sizeof link->buf);
                  },
                  on_read);
    b->start_tls(*l, net::TlsSession::Side::connect);
    if (l->closing)
        return;
    bool meet = false;
    {
        std::lock_guard lock(b->st_.mu_);
        if (Node* n = b->st_.find(l->node_id)) {
            n->link_up = true;
            meet = n->flags & f_meet;
        }
    }
    b->send(*l, meet ? MsgType::meet : MsgType::ping);
}

void Bus::on_connection(uv_stream_t* server, int status) {
    auto* b = static_cast<Bus*>(server->data);
    if (status != 0)
        return;
    auto link = std::make_unique<Link>();
    Link& l = *link;
    l.bus = b;
    uv_tcp_init(&b->loop_, &l.tcp);
    l.tcp.data = &l;
    b->links_.emplace(&l, std::move(link));
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&l.tcp)) != 0) {
        b->close(l);
        return;
    }
    sockaddr_storage sa{};
    int len = sizeof sa;
    if (uv_tcp_getpeername(&l.tcp, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        l.peer_ip = ip_of(sa);
    len = sizeof sa;
    if (uv_tcp_getsockname(&l.tcp, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        l.local_ip = ip_of(sa);
    l.connected = true;
    uv_tcp_nodelay(&l.tcp, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&l.tcp),
                  [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                      auto* lk = static_cast<Link*>(h->data);
                      *buf = uv_buf_init(lk->buf, sizeof lk->buf);
                  },
                  on_read);
    b->start_tls(l, net::TlsSession::Side::accept);
}

void Bus::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
    auto* l = static_cast<Link*>(s->data);
    if (n < 0) {
        // A peer that hangs up during the handshake refused it, or never spoke TLS.
        if (l->tls && !l->tls->ready())
            l->bus->close(*l, "the peer closed the connection during the TLS handshake (it does not speak TLS, or "
                              "refused this node's certificate)");
        else
            l->bus->close(*l);
        return;
    }
    std::string_view got(l->buf, static_cast<std::size_t>(n));
    if (!l->tls)
        l->in.append(got);
    else if (!l->bus->decrypt(*l, got))
        return;
    l->bus->on_frames(*l);
}

void Bus::start_tls(Link& l, net::TlsSession::Side side) {
    const net::TlsContext* ctx = peer_tls();
    if (!ctx)
        return;
    l.tls = std::make_unique<net::TlsSession>(*ctx, side);
    if (side == net::TlsSession::Side::connect)
        decrypt(l, {});
}

bool Bus::decrypt(Link& l, std::string_view cipher) {
    bool was_ready = l.tls->ready();
    bool ok = l.tls->feed(cipher, l.in);
    std::string answer; // handshake messages, or the alert that says why it failed
    l.tls->drain(answer);
    if (!answer.empty())
        write_raw(l, std::move(answer));
    if (!ok) {
        close(l, was_ready ? l.tls->error() : "TLS handshake failed: " + l.tls->error());
        return false;
    }
    if (l.tls->ready() && !l.held.empty())
        write(l, std::exchange(l.held, {}));
    return !l.closing;
}

void Bus::on_frames(Link& l) {
    std::size_t pos = 0;
    while (!l.closing) {
        Message m;
        std::size_t used = 0;
        std::string why;
        Decoded d = decode(std::string_view(l.in).substr(pos), secret_, m, used, why);
        if (d == Decoded::incomplete)
            break;
        if (d == Decoded::error) {
            close(l, why);
            return;
        }
        pos += used;
        handle(l, m);
    }
    l.in.erase(0, pos);
}

void Bus::send(Link& l, MsgType type, const std::string& about, std::uint16_t mflags) {
    std::string frame;
    {
        std::lock_guard lock(st_.mu_);
        const Node* to = l.outbound ? st_.find(l.node_id) : nullptr;
        Message m = message_locked(type, to);
        m.about = about;
        m.mflags |= mflags;
        if (type == MsgType::sync)
            m.repl_offset = st_.repl_.offset();
        frame = encode(m, secret_);
        ++st_.sent_;
        if (type == MsgType::ping || type == MsgType::meet)
            if (Node* n = st_.find(l.node_id); n && n->ping_sent == 0)
                n->ping_sent = wall_ms();
    }
    write(l, std::move(frame));
}

void Bus::send_data(Link& l, MsgType type, std::string_view about, std::uint64_t offset, std::string_view data,
                    std::uint16_t mflags) {
    Message m;
    m.type = type;
    m.sender = st_.myself_id();
    m.about = std::string(about);
    m.repl_offset = offset;
    m.mflags = mflags;
    m.data = std::string(data);
    write(l, encode(m, secret_));
}

void Bus::write(Link& l, std::string frame) {
    if (l.closing)
        return;
    if (l.tls) {
        if (!l.tls->ready()) {
            l.held += frame;
            return;
        }
        std::string cipher;
        if (!l.tls->encrypt(frame, cipher)) {
            close(l, l.tls->error());
            return;
        }
        frame = std::move(cipher);
    }
    write_raw(l, std::move(frame));
}

void Bus::write_raw(Link& l, std::string bytes) {
    if (l.closing)
        return;
    struct Write {
        uv_write_t req;
        std::string data;
    };
    auto* w = new Write{{}, std::move(bytes)};
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&l.tcp), &buf, 1,
                      [](uv_write_t* req, int) { delete reinterpret_cast<Write*>(req); });
    if (rc != 0) {
        delete w;
        close(l, uv_strerror(rc));
    }
}

void Bus::flush_feeds() {
    std::vector<Link*> feeds;
    for (auto& [p, l] : links_)
        if (!l->feeds.empty() && !l->closing)
            feeds.push_back(l.get());
    std::string chunk;
    for (Link* l : feeds) {
        for (;;) {
            chunk.clear();
            if (!st_.repl_.read(l->sent, max_data, chunk)) {
                close(*l, "the replica fell behind the backlog (it will sync in full)");
                break;
            }
            if (chunk.empty())
                break;
            send_data(*l, MsgType::stream, {}, l->sent, chunk);
            l->sent += chunk.size();
        }
        // A replica that does not read what it is sent would make this node hold the stream
        // without bound: it syncs again instead.
        if (!l->closing && uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&l->tcp)) >
                               l->copy_sent + std::max<std::size_t>(st_.repl_.backlog_size(), 2 * max_frame))
            close(*l, "the replica does not keep up (it will sync again)");
    }
}

void Bus::start_feed(Link& l, const Message& m) {
    Replication& r = st_.repl_;
    std::uint64_t from = m.repl_offset;
    bool full = !r.can_continue(m.about, from);
    std::size_t copy_len = 0;
    if (full) {
        std::string copy = r.copy(from);
        std::string replid = r.replid();
        std::size_t pos = 0;
        do {
            std::size_t n = std::min(max_data, copy.size() - pos);
            send_data(l, MsgType::full, replid, from, std::string_view(copy).substr(pos, n),
                      pos + n == copy.size() ? mf_last : 0);
            pos += n;
        } while (pos < copy.size());
        copy_len = copy.size();
        log_.info("replica syncing in full", {{"replica", m.sender}, {"offset", from}, {"bytes", std::uint64_t{copy.size()}}});
    } else {
        // The replica takes this node's stream id (it may have asked under its old master's).
        send_data(l, MsgType::stream, r.replid(), from, {});
        log_.info("replica continues the stream", {{"replica", m.sender}, {"offset", from}});
    }
    l.feeds = m.sender;
    l.sent = from;
    l.copy_sent = full ? copy_len : 0;
    // Acknowledged only once it says so: a copy not loaded yet keeps nothing.
    r.ack(m.sender, full ? 0 : from);
    flush_feeds();
}

void Bus::on_data(Link& l, const Message& m) {
    std::int64_t now = wall_ms();
    Replication& r = st_.repl_;
    if (m.type == MsgType::ack) {
        if (l.feeds == m.sender)
            r.ack(m.sender, m.repl_offset);
        return;
    }
    if (&l != master_link_)
        return; // from a node that is not (or no longer) this replica's master
    st_.master_last_io_ = now;
    {
        // The master's pong may wait behind a copy of many megabytes on this connection: the
        // copy itself shows the connection alive, or it would be dropped as half-open.
        std::lock_guard lock(st_.mu_);
        if (Node* n = st_.find(l.node_id)) {
            n->ping_sent = 0;
            n->pong_received = now;
        }
    }
    if (m.type == MsgType::full) {
        if (!l.in_copy) {
            l.in_copy = true;
            l.copy.clear();
            l.copy_replid = m.about;
            l.copy_offset = m.repl_offset;
        }
        l.copy += m.data;
        if (!(m.mflags & mf_last))
            return;
        std::string why;
        l.in_copy = false;
        bool ok = r.load(l.copy, l.copy_replid, l.copy_offset, why);
        std::string().swap(l.copy);
        if (!ok) {
            close(l, why);
            return;
        }
        log_.info("replica synced in full", {{"master", l.node_id}, {"offset", l.copy_offset}});
        st_.master_link_up_ = true;
    } else if (!r.apply(m.repl_offset, m.data, m.about)) {
        close(l, "the stream from the master is out of step (syncing again)");
        return;
    } else if (!m.about.empty()) {
        log_.info("continuing the master's stream", {{"master", l.node_id}, {"offset", m.repl_offset}});
        st_.master_link_up_ = true;
    }
    acked_ = r.offset();
    acked_at_ = now;
    send_data(l, MsgType::ack, {}, acked_, {});
}

void Bus::announce() {
    {
        std::lock_guard lock(st_.mu_);
        if (!st_.announce_)
            return;
        st_.announce_ = false;
    }
    std::vector<Link*> links;
    for (auto& [id, l] : out_)
        if (l->connected && !l->closing)
            links.push_back(l);
    for (Link* l : links)
        send(*l, MsgType::pong);
}

Message Bus::message_locked(MsgType type, const Node* to) const {
    const Node& me = st_.me();
    Message m;
    m.type = type;
    m.sender = me.id;
    m.current_epoch = st_.current_epoch_;
    m.config_epoch = me.config_epoch;
    m.flags = me.flags & (f_master | f_replica | f_nofailover);
    m.port = me.port;
    m.cport = me.cport;
    m.master_id = me.master_id;
    m.repl_offset = st_.repl_.offset();
    if (st_.paused_until_.load(std::memory_order_relaxed) > wall_ms())
        m.mflags |= mf_paused;
    // A replica speaks for its master's slots and config epoch, as Redis's do: what its
    // election claims.
    auto it = (me.flags & f_replica) ? st_.nodes_.find(me.master_id) : st_.nodes_.end();
    const Node* speaks_for = it != st_.nodes_.end() ? it->second.get() : &me;
    if (speaks_for != &me)
        m.config_epoch = speaks_for->config_epoch;
    for (unsigned s = 0; s < slot_count; ++s)
        if (st_.owner_[s] == speaks_for)
            m.set_slot(s);
    for (auto& [id, n] : st_.nodes_) {
        if (n.get() == &me || n.get() == to || (n->flags & (f_handshake | f_noaddr)))
            continue;
        m.gossip.push_back({n->id, n->ip, n->port, n->cport, n->flags});
    }
    return m;
}

void Bus::handle(Link& l, const Message& m) {
    if (is_data(m.type)) {
        on_data(l, m);
        return;
    }
    bool reply = false;
    bool vote = false, sync = false;
    Link* stale = nullptr; ///< a connection to the sender's old address
    std::vector<std::string> announce; ///< nodes this message made us flag FAIL
    {
        std::lock_guard lock(st_.mu_);
        State& st = st_;
        std::int64_t now = wall_ms();
        ++st.received_;
        Node& me = st.me();
        if (me.ip.empty() && !l.local_ip.empty()) {
            me.ip = l.local_ip; // learnt from the first peer that reached us (bound to a wildcard)
            st.changed();
        }
        Node* sender = st.find(m.sender);
        if (m.sender == me.id) {
            // Our own MEET came back (a node met itself): nothing to learn.
            return;
        }
        if (!sender && m.type == MsgType::meet && !st.forgotten_.count(m.sender)) {
            auto n = std::make_unique<Node>();
            n->id = m.sender;
            n->ip = l.peer_ip;
            n->port = m.port;
            n->cport = m.cport;
            n->flags = static_cast<std::uint16_t>(m.flags & (f_master | f_replica | f_nofailover));
            n->created = now;
            n->pong_received = now;
            sender = n.get();
            st.nodes_.emplace(n->id, std::move(n));
            log_.info("cluster node met", {{"node", m.sender}, {"addr", fmt::format("{}:{}", l.peer_ip, m.port)}});
            st.changed();
        }
        if (l.outbound && m.type == MsgType::pong) {
            Node* via = st.find(l.node_id);
            if (via && (via->flags & f_handshake)) {
                // The handshake's answer: the node's real id replaces the one made up for it.
                auto own = std::move(st.nodes_.find(l.node_id)->second);
                st.nodes_.erase(l.node_id);
                out_.erase(l.node_id);
                if (!sender && !st.forgotten_.count(m.sender) && m.sender != me.id) {
                    own->id = m.sender;
                    own->flags = static_cast<std::uint16_t>(m.flags & (f_master | f_replica | f_nofailover));
                    l.node_id = own->id;
                    out_[own->id] = &l;
                    sender = own.get();
                    st.nodes_.emplace(own->id, std::move(own));
                    log_.info("cluster handshake done", {{"node", m.sender}});
                } else {
                    l.node_id.clear();
                }
                st.changed();
            }
        }
        reply = m.type == MsgType::ping || m.type == MsgType::meet || m.type == MsgType::mfstart;
        if (sender && !l.outbound && !l.peer_ip.empty() &&
            (sender->ip != l.peer_ip || sender->port != m.port || sender->cport != m.cport)) {
            // It came back at another address (a restart): reach it there from now on.
            log_.info("cluster node address changed",
                      {{"node", sender->id}, {"addr", fmt::format("{}:{}@{}", l.peer_ip, m.port, m.cport)}});
            sender->ip = l.peer_ip;
            sender->port = m.port;
            sender->cport = m.cport;
            st.changed();
            if (auto o = out_.find(sender->id); o != out_.end())
                stale = o->second;
        }
        if (sender) {
            if (m.type == MsgType::pong) {
                sender->pong_received = now;
                sender->ping_sent = 0;
                if (sender->flags & f_pfail) {
                    sender->flags &= static_cast<std::uint16_t>(~f_pfail);
                    st.changed();
                }
                // A failed node that answers again: a node without slots is back at once; a
                // master with slots only after twice the node timeout, so that a flapping
                // link does not flip the cluster's state.
                bool has_slots = std::find(st.owner_.begin(), st.owner_.end(), sender) != st.owner_.end();
                std::int64_t timeout = static_cast<std::int64_t>(st.cfg_.node_timeout_ms);
                if ((sender->flags & f_fail) && (!has_slots || now - sender->fail_time > 2 * timeout)) {
                    sender->flags &= static_cast<std::uint16_t>(~f_fail);
                    sender->fail_reports.clear();
                    log_.info("cluster node reachable again (FAIL cleared)", {{"node", sender->id}});
                    st.changed();
                }
            }
            if (m.type == MsgType::fail) {
                Node* failed = st.find(m.about);
                if (failed && failed != &me && !(failed->flags & f_fail)) {
                    failed->flags = static_cast<std::uint16_t>((failed->flags | f_fail) & ~f_pfail);
                    failed->fail_time = now;
                    log_.warn("cluster node failed (FAIL, from another node)",
                              {{"node", failed->id}, {"from", m.sender}});
                    st.changed();
                }
            }
            if (m.current_epoch > st.current_epoch_) {
                st.current_epoch_ = m.current_epoch;
                st.dirty_ = true;
            }
            std::uint16_t role = static_cast<std::uint16_t>(m.flags & (f_master | f_replica | f_nofailover));
            if ((sender->flags & (f_master | f_replica | f_nofailover)) != role || sender->master_id != m.master_id ||
                sender->config_epoch != m.config_epoch) {
                sender->flags =
                    static_cast<std::uint16_t>((sender->flags & ~(f_master | f_replica | f_nofailover)) | role);
                sender->master_id = m.master_id;
                sender->config_epoch = m.config_epoch;
                st.changed();
            }
            if (m.type != MsgType::sync)
                sender->repl_offset = m.repl_offset;
            sender->paused = m.mflags & mf_paused;
            Node* my_master = (me.flags & f_replica) ? st.find(me.master_id) : nullptr;
            if (sender->flags & f_master) {
                State::ClaimTaken took = st.take_claims_locked(*sender, m.config_epoch, m.slots);
                // This node (a master) or its master lost its last slot to sender in a newer
                // epoch: sender took over by a failover, and this node follows it.
                Node* loser = took.lost_mine ? &me : took.lost_masters ? my_master : nullptr;
                if (loser && std::find(st.owner_.begin(), st.owner_.end(), loser) == st.owner_.end()) {
                    log_.info("slots taken over by a newer config epoch: now a replica of the node that took them",
                              {{"master", sender->id}, {"epoch", m.config_epoch}});
                    st.follow_locked(*sender);
                }
                // Two masters with the same config epoch: the one with the smaller id takes a new
                // epoch, so that their claims can be ordered.
                if ((me.flags & f_master) && m.config_epoch == me.config_epoch && me.id < sender->id) {
                    st.current_epoch_++;
                    me.config_epoch = st.current_epoch_;
                    st.changed();
                    log_.info("cluster config epoch collision", {{"node", m.sender}, {"epoch", me.config_epoch}});
                }
            }
            if (m.type == MsgType::auth_request)
                vote = may_vote_locked(*sender, m, now);
            if (m.type == MsgType::auth_ack && st.election_.epoch && m.current_epoch >= st.election_.epoch &&
                (sender->flags & f_master) &&
                std::find(st.owner_.begin(), st.owner_.end(), sender) != st.owner_.end() &&
                std::find(st.election_.votes.begin(), st.election_.votes.end(), sender->id) ==
                    st.election_.votes.end()) {
                st.election_.votes.push_back(sender->id);
                win_if_elected_locked();
            }
            if (m.type == MsgType::mfstart && sender->master_id == me.id && (me.flags & f_master)) {
                st.paused_until_ = now + 5000;
                log_.info("pausing writes for a manual failover", {{"replica", sender->id}});
            }
            sync = m.type == MsgType::sync;
            for (const Gossip& g : m.gossip) {
                Node* about = g.id == me.id ? nullptr : st.find(g.id);
                if (about && (sender->flags & f_master)) {
                    if (g.flags & (f_pfail | f_fail))
                        about->fail_reports[sender->id] = now;
                    else
                        about->fail_reports.erase(sender->id);
                    if (fail_if_agreed(*about, now))
                        announce.push_back(about->id);
                }
                if (g.id == me.id || about || st.forgotten_.count(g.id) || g.ip.empty() ||
                    (g.flags & (f_handshake | f_noaddr)))
                    continue;
                bool pending = std::any_of(st.nodes_.begin(), st.nodes_.end(), [&](auto& kv) {
                    return (kv.second->flags & f_handshake) && kv.second->ip == g.ip && kv.second->port == g.port;
                });
                if (pending)
                    continue;
                auto n = std::make_unique<Node>();
                n->id = new_id();
                n->ip = g.ip;
                n->port = g.port;
                n->cport = g.cport;
                n->flags = f_handshake;
                n->created = now;
                st.nodes_.emplace(n->id, std::move(n));
            }
        }
    }
    if (stale && stale != &l)
        close(*stale);
    for (const std::string& id : announce)
        broadcast_fail(id);
    if (reply)
        send(l, MsgType::pong);
    if (vote)
        send(l, MsgType::auth_ack);
    if (sync && !l.closing)
        start_feed(l, m);
    this->announce();
}

bool Bus::may_vote_locked(Node& requester, const Message& m, std::int64_t now) {
    State& st = st_;
    Node& me = st.me();
    std::int64_t timeout = static_cast<std::int64_t>(st.cfg_.node_timeout_ms);
    auto refuse = [&](std::string_view why) {
        log_.info("failover vote refused", {{"replica", requester.id}, {"epoch", m.current_epoch}, {"reason", why}});
        return false;
    };
    if (!(me.flags & f_master) || std::find(st.owner_.begin(), st.owner_.end(), &me) == st.owner_.end())
        return false; // only masters that serve slots vote
    if (m.current_epoch < st.current_epoch_ || st.last_vote_epoch_ >= m.current_epoch)
        return refuse("already voted in this epoch");
    Node* master = (requester.flags & f_replica) ? st.find(requester.master_id) : nullptr;
    if (!master)
        return refuse("not a replica of a known master");
    if (!(master->flags & f_fail) && !(m.mflags & mf_force))
        return refuse("its master is not failed");
    if (now - master->voted_time < 2 * timeout)
        return refuse("voted for a replica of the same master lately");
    for (unsigned s = 0; s < slot_count; ++s)
        if (m.has_slot(s) && st.owner_[s] && !st.unclaimed_.test(s) && st.owner_[s]->config_epoch > m.config_epoch)
            return refuse("a slot it claims has a newer owner");
    st.last_vote_epoch_ = m.current_epoch;
    master->voted_time = now;
    st.dirty_ = true;
    log_.info("failover vote given", {{"replica", requester.id}, {"epoch", m.current_epoch}});
    return true;
}

void Bus::win_if_elected_locked() {
    State& st = st_;
    if (!st.election_.epoch || st.election_.votes.size() < st.voters_locked() / 2 + 1)
        return;
    std::uint64_t epoch = st.election_.epoch;
    std::string old = st.me().master_id;
    st.promote_locked(epoch);
    log_.warn("failover: elected, now the master of the failed master's slots",
              {{"old_master", old}, {"epoch", epoch}});
}

void Bus::cron() {
    std::vector<Peer> to_connect;
    std::vector<Link*> to_ping, to_drop;
    std::string text; ///< the nodes file to write, when it changed
    std::vector<std::string> announce;
    std::int64_t now = wall_ms();
    {
        std::lock_guard lock(st_.mu_);
        State& st = st_;
        std::int64_t timeout = static_cast<std::int64_t>(st.cfg_.node_timeout_ms);
        std::int64_t every = std::clamp<std::int64_t>(timeout / 4, 50, 1000);
        for (auto it = st.forgotten_.begin(); it != st.forgotten_.end();)
            it = it->second < now ? st.forgotten_.erase(it) : std::next(it);
        for (auto it = st.nodes_.begin(); it != st.nodes_.end();) {
            Node& n = *it->second;
            if ((n.flags & f_handshake) && now - n.created > std::max<std::int64_t>(timeout, 1000)) {
                log_.warn("cluster handshake timed out", {{"addr", fmt::format("{}:{}@{}", n.ip, n.port, n.cport)}});
                it = st.remove_locked(it);
                continue;
            }
            ++it;
        }
        for (auto& [id, np] : st.nodes_) {
            Node& n = *np;
            if (&n == &st.me())
                continue;
            auto o = out_.find(id);
            if (o == out_.end()) {
                if (n.ping_sent == 0)
                    n.ping_sent = now; // the silence counts from the first try to reach it
                to_connect.push_back({n.id, n.ip, n.cport});
            } else if (o->second->connected) {
                // Half-open, perhaps: connect afresh.  A connection gets the node timeout to
                // come up first, as Redis's do: the silence counts from the first try, and one
                // opened after it (a TLS handshake on a loaded machine) would be dropped again
                // and again before its first pong.
                if (n.ping_sent && now - n.ping_sent > timeout / 2 && now - o->second->created > timeout)
                    to_drop.push_back(o->second);
                else if (n.ping_sent == 0 && now - n.pong_received >= every)
                    to_ping.push_back(o->second);
            }
            if (n.ping_sent && now - n.ping_sent > timeout && !(n.flags & (f_pfail | f_fail | f_handshake))) {
                n.flags |= f_pfail;
                log_.warn("cluster node not answering (PFAIL)", {{"node", n.id}});
                st.changed();
            }
            if (fail_if_agreed(n, now))
                announce.push_back(n.id);
        }
        // Connections to nodes that are gone (forgotten, or a handshake that ended).
        for (auto& [p, l] : links_)
            if (l->outbound && !l->closing && !st.find(l->node_id))
                to_drop.push_back(l.get());
        st.update_state();
        if (st.dirty_) {
            text = st.file_text_locked();
            st.dirty_ = false;
        }
    }
    // Written outside the lock: the fsync must not hold up the commands.
    std::string why;
    if (!text.empty() && !st_.write_file(text, why))
        log_.error("cannot save the nodes file", {{"error", why}});
    for (Link* l : to_drop)
        close(*l);
    for (const Peer& n : to_connect)
        connect(n);
    for (Link* l : to_ping)
        send(*l, MsgType::ping);
    for (const std::string& id : announce)
        broadcast_fail(id);
    replica_cron(now);
    flush_feeds();
    this->announce();
}

void Bus::replica_cron(std::int64_t now) {
    Link* sync_on = nullptr;
    Link* stale = nullptr;
    Link* to_master = nullptr;
    bool ask_votes = false, force = false, mfstart = false, ack = false;
    std::string replid = st_.repl_.replid();
    std::uint64_t offset = st_.repl_.offset();
    [&] {
        std::lock_guard lock(st_.mu_);
        State& st = st_;
        Node& me = st.me();
        Node* master = (me.flags & f_replica) ? st.find(me.master_id) : nullptr;
        if (master_link_ && (!master || master_link_->node_id != master->id)) {
            stale = master_link_; // a new master (or none): sync afresh
            master_link_ = nullptr;
            st.master_link_up_ = false;
        }
        if (!master)
            return;
        std::int64_t timeout = static_cast<std::int64_t>(st.cfg_.node_timeout_ms);
        if (auto o = out_.find(master->id); o != out_.end() && o->second->connected && !o->second->closing) {
            to_master = o->second;
            if (!master_link_) {
                master_link_ = sync_on = to_master;
                master_link_->in_copy = false;
            } else if (!st.master_link_up_ && !master_link_->in_copy &&
                       now - sync_sent_ > std::max<std::int64_t>(2 * timeout, 2000)) {
                // No copy came: a master that did not know this node yet (its handshake
                // with it still going on) ignored the SYNC.  Asked again.
                sync_on = master_link_;
            }
        }
        ack = master_link_ && st.master_link_up_ && (acked_ != offset || now - acked_at_ >= 1000);
        bool has_slots = std::find(st.owner_.begin(), st.owner_.end(), master) != st.owner_.end();
        if (st.manual_until_) {
            if (now > st.manual_until_) {
                st.manual_until_ = 0;
                log_.warn("manual failover timed out", {{"master", master->id}});
            } else if (master->paused && master->repl_offset == offset && !st.election_.start) {
                st.election_.start = now;
                st.election_.force = true;
            } else {
                mfstart = !master->paused;
            }
        }
        if (!has_slots || (!(master->flags & f_fail) && !st.election_.force))
            return;
        if (!st.election_.start) {
            // Redis's delays, scaled to the node timeout: a fixed part for the FAIL to spread, a
            // random part so that replicas do not ask at once, and a part per replica of the
            // same master that has more of the stream than this one.
            std::int64_t unit = std::clamp<std::int64_t>(timeout / 8, 20, 500);
            unsigned rank = 0;
            for (auto& [id, n] : st.nodes_)
                rank += n.get() != &me && (n->flags & f_replica) && n->master_id == master->id &&
                        !(n->flags & f_fail) && n->repl_offset > offset;
            static thread_local std::minstd_rand rng{std::random_device{}()};
            std::int64_t delay = st.election_.force ? 0 : unit + static_cast<std::int64_t>(rng() % unit) + 2 * unit * rank;
            st.election_.start = now + delay;
            log_.info("failover election planned", {{"master", master->id}, {"delay_ms", delay}, {"rank", std::uint64_t{rank}}});
        } else if (!st.election_.epoch && now >= st.election_.start) {
            st.election_.epoch = ++st.current_epoch_;
            st.election_.asked = now;
            st.dirty_ = true;
            ask_votes = true;
            force = st.election_.force;
            log_.info("failover election: asking for votes", {{"epoch", st.election_.epoch}});
        } else if (st.election_.epoch && now - st.election_.asked > std::max<std::int64_t>(2 * timeout, 1000)) {
            log_.warn("failover election timed out: trying again", {{"epoch", st.election_.epoch}});
            bool again = st.election_.force;
            st.election_ = {};
            st.election_.force = again;
        } else {
            win_if_elected_locked();
        }
    }();
    if (stale)
        close(*stale);
    if (sync_on) {
        log_.info("replica syncing with its master", {{"master", sync_on->node_id}, {"offset", offset}});
        sync_sent_ = now;
        send(*sync_on, MsgType::sync, replid);
    }
    if (ack) {
        acked_ = offset;
        acked_at_ = now;
        send_data(*master_link_, MsgType::ack, {}, offset, {});
    }
    if (mfstart && to_master)
        send(*to_master, MsgType::mfstart);
    if (ask_votes) {
        std::vector<Link*> links;
        for (auto& [id, l] : out_)
            if (l->connected && !l->closing)
                links.push_back(l);
        for (Link* l : links)
            send(*l, MsgType::auth_request, {}, force ? mf_force : 0);
    }
}

bool Bus::fail_if_agreed(Node& n, std::int64_t now) {
    State& st = st_;
    if (!(n.flags & f_pfail) || (n.flags & f_fail) || &n == &st.me())
        return false;
    // Reports older than twice the node timeout no longer count.
    std::int64_t validity = 2 * static_cast<std::int64_t>(st.cfg_.node_timeout_ms);
    for (auto it = n.fail_reports.begin(); it != n.fail_reports.end();)
        it = now - it->second > validity ? n.fail_reports.erase(it) : std::next(it);
    std::size_t size = 0;
    for (auto& [id, m] : st.nodes_)
        if ((m->flags & f_master) && std::find(st.owner_.begin(), st.owner_.end(), m.get()) != st.owner_.end())
            ++size;
    std::size_t votes = n.fail_reports.size() + ((st.me().flags & f_master) ? 1 : 0);
    if (votes < size / 2 + 1)
        return false;
    n.flags = static_cast<std::uint16_t>((n.flags | f_fail) & ~f_pfail);
    n.fail_time = now;
    log_.warn("cluster node failed (FAIL: a majority of masters agree)",
              {{"node", n.id}, {"votes", std::uint64_t{votes}}});
    st.changed();
    return true;
}

void Bus::broadcast_fail(const std::string& id) {
    std::vector<Link*> links;
    for (auto& [node, l] : out_)
        if (l->connected && !l->closing && node != id)
            links.push_back(l);
    for (Link* l : links)
        send(*l, MsgType::fail, id);
}

} // namespace syskit::cachenode::cluster

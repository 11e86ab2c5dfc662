#include "net/tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace syskit::net {

std::string Endpoint::str() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

fs::UniqueFd listen_tcp(const Endpoint& ep, bool reuseport, int backlog, std::string& error) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, ep.host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(ep.port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, ep.host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(ep.port);
        len = sizeof *v6;
    } else {
        error = "not an IPv4 or IPv6 address";
        return {};
    }
    fs::UniqueFd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = std::string("socket: ") + std::strerror(errno);
        return {};
    }
    int one = 1;
    // SO_REUSEADDR: restart at once while old connections sit in TIME_WAIT.
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (reuseport && setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)) {
        error = std::string("setsockopt: ") + std::strerror(errno);
        return {};
    }
    if (ss.ss_family == AF_INET6)
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        error = std::string("bind: ") + std::strerror(errno);
        return {};
    }
    if (listen(fd.get(), backlog) != 0) {
        error = std::string("listen: ") + std::strerror(errno);
        return {};
    }
    return fd;
}

/// One accepted connection.  Lives from accept to libuv's close callback, which frees it.
class Connection {
public:
    explicit Connection(Server& s) : server_(s) { tcp_.data = this; }

    void start();
    /// Sends what is pending, then closes.  linger: the session ended the connection (an error,
    /// QUIT): half-close and read until the peer closes too, so that requests it had already
    /// sent do not make the kernel reset the connection and destroy the reply on its way (over
    /// TLS too: what the peer still sends is dropped undecrypted); for as long as the peer
    /// keeps sending with pauses shorter than linger_quiet_ms, up to linger_max_ms in all (a
    /// peer can hold the connection no longer than that).
    void finish(bool linger = false);
    void close();
    bool lingering_too_long(std::uint64_t now) const { return lingering_ && now > linger_until_; }
    bool closing() const { return closing_; }
    std::uint64_t last_active() const { return last_active_; }

    uv_tcp_t tcp_{};
    Connection* prev = nullptr;
    Connection* next = nullptr;
    bool counted = false;

private:
    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    static void on_close(uv_handle_t* h);
    static void on_shutdown(uv_shutdown_t* req, int status);
    static constexpr std::uint64_t linger_quiet_ms = 2000, linger_max_ms = 30000;

    void received(const char* data, std::size_t n);
    void process(std::string_view data, bool from_in);
    void resume_stalled();
    /// The session has the reply it held back (Session::attached).
    void resume();
    void flush();
    /// Closes the connection when its pending output is over the hard limit, or has been over
    /// the soft one for too long; true when it did.
    bool over_output_limits(std::uint64_t now);
    void pause_or_resume();
    std::size_t pending() const { return out_.size() + wire_.size() + writing_.size(); }

    Server& server_;
    std::unique_ptr<Session> session_;
    std::unique_ptr<TlsSession> tls_;
    std::string in_;      ///< received plaintext not consumed yet
    std::string out_;     ///< replies not yet handed to the socket (plaintext)
    std::string wire_;    ///< TLS records not yet handed to the socket
    std::string writing_; ///< what the write in flight sends
    uv_write_t wreq_{};
    uv_shutdown_t sreq_{};
    std::uint64_t last_active_ = 0;
    std::uint64_t linger_until_ = 0; ///< the quiet period's end, or linger_end_ when sooner
    std::uint64_t linger_end_ = 0;
    std::uint64_t over_soft_since_ = 0; ///< uv_now() when pending output passed the soft limit; 0: under it
    bool linger_ = false;
    bool lingering_ = false;
    bool reading_ = false;
    bool write_pending_ = false;
    bool close_after_write_ = false;
    bool closing_ = false;
    bool to_send_ = false; ///< in Server::to_send_

    friend class Server;
};

namespace {

/// "ip:port" of a socket address, "[ip]:port" for IPv6; empty when it is neither.
std::string address_text(const sockaddr_storage& ss) {
    char host[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
        inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
        inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
        std::string text = "[";
        text += host;
        text += "]:";
        text += std::to_string(ntohs(in6.sin6_port));
        return text;
    }
    return {};
}

} // namespace

void Connection::start() {
    session_ = server_.opt_.make_session();
    sockaddr_storage peer{}, local{};
    int peer_len = sizeof peer, local_len = sizeof local;
    uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &peer_len);
    uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&local), &local_len);
    session_->connected(address_text(peer), address_text(local));
    session_->attached(server_.loop_, [this] { resume(); });
    if (server_.opt_.tls)
        tls_ = std::make_unique<TlsSession>(*server_.opt_.tls);
    uv_tcp_nodelay(&tcp_, 1);
    last_active_ = uv_now(server_.loop_);
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) != 0) {
        close();
        return;
    }
    reading_ = true;
}

void Connection::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(h->data);
    *buf = uv_buf_init(c->server_.scratch_.data(), static_cast<unsigned>(c->server_.scratch_.size()));
}

void Connection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(s->data);
    if (c->lingering_) {
        if (nread < 0)
            c->close();
        else // what a closing peer still sends is dropped, and starts its quiet period again
            c->linger_until_ = std::min(uv_now(c->server_.loop_) + linger_quiet_ms, c->linger_end_);
        return;
    }
    if (nread > 0) {
        c->received(buf->base, static_cast<std::size_t>(nread));
    } else if (nread < 0) {
        // EOF or an error: send what is left (the peer may only have shut down its side), then
        // close.
        c->finish();
    }
}

void Connection::received(const char* data, std::size_t n) {
    if (server_.opt_.poller)
        server_.opt_.poller->read();
    last_active_ = uv_now(server_.loop_);
    if (tls_) {
        bool ok = tls_->feed(std::string_view(data, n), in_);
        tls_->drain(wire_); // handshake messages, alerts
        if (!ok) {
            flush();
            finish();
            return;
        }
        if (!in_.empty())
            process(in_, true);
        else
            flush();
        return;
    }
    if (in_.empty()) {
        process(std::string_view(data, n), false);
    } else {
        in_.append(data, n);
        process(in_, true);
    }
}

void Connection::process(std::string_view data, bool from_in) {
    std::size_t consumed = 0;
    After after = session_->on_data(data, consumed, out_);
    if (from_in)
        in_.erase(0, consumed);
    else
        in_.assign(data.substr(consumed));
    if (in_.empty() && in_.capacity() > server_.scratch_.size())
        std::string().swap(in_); // a large request has gone; give its memory back
    if (after == After::close) {
        finish(true);
        return;
    }
    if (server_.batching_) {
        server_.send_later(this);
        return;
    }
    flush();
    resume_stalled();
}

void Connection::resume_stalled() {
    // A loop rather than a recursion through flush(): a client that reads as fast as it is
    // answered drains each batch at once.
    while (!closing_ && !close_after_write_ && !in_.empty() && session_->stalled() &&
           pending() <= server_.opt_.max_pending_output) {
        std::size_t consumed = 0;
        After after = session_->on_data(in_, consumed, out_);
        in_.erase(0, consumed);
        if (after == After::close) {
            finish(true);
            return;
        }
        flush();
    }
}

void Connection::resume() {
    if (!closing_ && !close_after_write_)
        process(in_, true);
}

bool Connection::over_output_limits(std::uint64_t now) {
    const OutputLimits* l = server_.opt_.output_limits;
    if (!l || closing_)
        return false;
    std::size_t p = pending(), hard = l->hard.load(std::memory_order_relaxed),
                soft = l->soft.load(std::memory_order_relaxed);
    if (hard && p > hard) {
        close();
        return true;
    }
    if (!soft || p <= soft) {
        over_soft_since_ = 0;
        return false;
    }
    if (!over_soft_since_) {
        over_soft_since_ = now;
        return false;
    }
    if (now - over_soft_since_ > l->soft_ms.load(std::memory_order_relaxed)) {
        close();
        return true;
    }
    return false;
}

void Connection::flush() {
    // A lingering connection has sent everything and only drains: a flush queued earlier in
    // the turn (the batched send) has nothing to do and must not close it.
    if (closing_ || lingering_ || over_output_limits(uv_now(server_.loop_)))
        return;
    std::string* src = &out_;
    if (tls_) {
        if (!out_.empty()) {
            if (!tls_->encrypt(out_, wire_)) {
                close();
                return;
            }
            out_.clear();
        }
        src = &wire_;
    }
    if (!write_pending_ && !src->empty()) {
        uv_buf_t b = uv_buf_init(src->data(), static_cast<unsigned>(src->size()));
        int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1);
        if (n == UV_EAGAIN)
            n = 0;
        if (n < 0) {
            close();
            return;
        }
        if (static_cast<std::size_t>(n) == src->size()) {
            src->clear();
        } else {
            writing_.assign(src->data() + n, src->size() - static_cast<std::size_t>(n));
            src->clear();
            uv_buf_t wb = uv_buf_init(writing_.data(), static_cast<unsigned>(writing_.size()));
            if (uv_write(&wreq_, reinterpret_cast<uv_stream_t*>(&tcp_), &wb, 1, on_write) != 0) {
                close();
                return;
            }
            write_pending_ = true;
        }
        if (src->capacity() > (std::size_t{1} << 20))
            std::string().swap(*src);
    }
    if (!write_pending_ && close_after_write_) {
        if (!linger_) {
            close();
            return;
        }
        lingering_ = true;
        const std::uint64_t now = uv_now(server_.loop_);
        linger_end_ = now + linger_max_ms;
        linger_until_ = now + linger_quiet_ms;
        if (uv_shutdown(&sreq_, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) != 0 ||
            (!reading_ && uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) != 0)) {
            close();
            return;
        }
        reading_ = true;
        return;
    }
    pause_or_resume();
}

void Connection::pause_or_resume() {
    if (lingering_)
        return;
    bool full = pending() > server_.opt_.max_pending_output;
    auto* s = reinterpret_cast<uv_stream_t*>(&tcp_);
    if (reading_ && (full || close_after_write_)) {
        uv_read_stop(s);
        reading_ = false;
    } else if (!reading_ && !full && !close_after_write_) {
        if (uv_read_start(s, on_alloc, on_read) == 0)
            reading_ = true;
    }
}

void Connection::on_write(uv_write_t* req, int status) {
    auto* c = static_cast<Connection*>(req->handle->data);
    c->write_pending_ = false;
    std::string().swap(c->writing_);
    if (c->closing_)
        return;
    if (status < 0) {
        c->close();
        return;
    }
    c->flush();
    c->resume_stalled();
}

void Connection::finish(bool linger) {
    if (lingering_) { // the server is stopping: it does not wait for the drain
        close();
        return;
    }
    close_after_write_ = true;
    linger_ = linger;
    flush();
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) {
    auto* c = static_cast<Connection*>(req->handle->data);
    if (status < 0 && !c->closing_)
        c->close();
}

void Connection::close() {
    if (closing_)
        return;
    closing_ = true;
    if (reading_)
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
    // Bytes left unread at close(2) make the kernel reset the connection instead of closing
    // it, and a reset can destroy replies still on their way: a request that arrived as the
    // server stopped is dropped here instead.  Bounded, so a peer that keeps sending cannot
    // hold the loop.
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0)
        for (int i = 0; i < 16; ++i)
            if (::recv(fd, server_.scratch_.data(), server_.scratch_.size(), MSG_DONTWAIT) <= 0)
                break;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
}

void Connection::on_close(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    c->server_.unlink(c);
    delete c;
}

// Server

Server::Server(uv_loop_t* loop, fs::UniqueFd listen_fd, ServerOptions options)
    : loop_(loop), fd_(std::move(listen_fd)), opt_(std::move(options)) {}

Server::~Server() = default;

bool Server::start(std::string& error) {
    if (!listen_again(error))
        return false;
    reserve_ = fs::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    uv_timer_init(loop_, &backoff_);
    backoff_.data = this;
    backoff_init_ = true;
    if (opt_.batch_writes) {
        uv_check_init(loop_, &turn_end_);
        uv_idle_init(loop_, &no_sleep_);
        turn_end_.data = this;
        uv_check_start(&turn_end_, on_turn_end);
        uv_unref(reinterpret_cast<uv_handle_t*>(&turn_end_));
        batching_ = true;
    }
    return true;
}

void Server::send_later(Connection* c) {
    if (c->to_send_)
        return;
    c->to_send_ = true;
    to_send_.push_back(c);
    if (to_send_.size() == 1)
        uv_idle_start(&no_sleep_, [](uv_idle_t*) {});
}

void Server::on_turn_end(uv_check_t* h) { static_cast<Server*>(h->data)->send_batch(); }

void Server::send_batch() {
    if (to_send_.empty())
        return;
    uv_idle_stop(&no_sleep_);
    // Swapped out first: a flush that closes a connection or resumes a stalled one may
    // append to the list again.
    std::vector<Connection*> batch;
    batch.swap(to_send_);
    for (Connection* c : batch) {
        c->to_send_ = false;
        c->flush();
        c->resume_stalled();
    }
    if (to_send_.empty()) {
        batch.clear();
        batch.swap(to_send_); // keeps the list's memory for the next turn
    }
}

bool Server::listen_again(std::string& error) {
    // libuv closes the socket it is given, so it gets a duplicate and fd_ keeps owning ours.
    fs::UniqueFd copy(fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) {
        error = std::string("fcntl: ") + std::strerror(errno);
        return false;
    }
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    listening_ = true;
    int rc = uv_tcp_open(&listener_, copy.get());
    if (rc == 0) {
        copy.release(); // the handle owns it now: uv_close closes it
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 511, on_connection);
    }
    if (rc != 0) {
        error = std::string("uv_listen: ") + uv_strerror(rc);
        return false;
    }
    return true;
}

void Server::out_of_descriptors() {
    uv_os_fd_t lfd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&listener_), &lfd) != 0)
        return;
    int why = EMFILE;
    if (reserve_) {
        reserve_.reset();
        for (;;) {
            fs::UniqueFd c(accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!c) {
                why = errno;
                break;
            }
            if (opt_.on_accept)
                opt_.on_accept(false);
            // Best effort: a client whose socket cannot take the line is closed all the same.
            if (!opt_.tls && ::send(c.get(), opt_.reject_message.data(), opt_.reject_message.size(),
                                    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                continue;
        }
        reserve_ = fs::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if ((why == EAGAIN || why == EWOULDBLOCK) && reserve_)
            return;
    }
    // No descriptor to spare, not even the reserve: stop listening for a moment (closing
    // libuv's duplicate also frees one), the clients wait in the backlog meanwhile.
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    uv_timer_start(&backoff_, on_backoff, 100, 0);
}

void Server::on_backoff(uv_timer_t* t) {
    auto* srv = static_cast<Server*>(t->data);
    if (srv->stopping_)
        return;
    if (!srv->reserve_)
        srv->reserve_ = fs::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::string error;
    if (!srv->listen_again(error)) {
        if (srv->listening_) {
            srv->listening_ = false;
            uv_close(reinterpret_cast<uv_handle_t*>(&srv->listener_), nullptr);
        }
        uv_timer_start(&srv->backoff_, on_backoff, 100, 0);
    }
}

void Server::on_connection(uv_stream_t* listener, int status) {
    auto* srv = static_cast<Server*>(listener->data);
    if (srv->stopping_)
        return;
    if (status == UV_EMFILE || status == UV_ENFILE) {
        srv->out_of_descriptors();
        return;
    }
    if (status < 0)
        return;
    auto* c = new Connection(*srv);
    uv_tcp_init(srv->loop_, &c->tcp_);
    srv->link(c);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp_)) != 0) {
        c->close();
        return;
    }
    auto* clients = srv->opt_.clients;
    std::uint64_t max_clients = srv->opt_.live ? srv->opt_.live->max_clients.load(std::memory_order_relaxed)
                                               : srv->opt_.max_clients;
    bool full = clients && max_clients && clients->load(std::memory_order_relaxed) >= max_clients;
    if (srv->opt_.on_accept)
        srv->opt_.on_accept(!full);
    if (full) {
        uv_buf_t b = uv_buf_init(srv->opt_.reject_message.data(), static_cast<unsigned>(srv->opt_.reject_message.size()));
        if (!srv->opt_.tls)
            uv_try_write(reinterpret_cast<uv_stream_t*>(&c->tcp_), &b, 1);
        c->close();
        return;
    }
    if (clients) {
        clients->fetch_add(1, std::memory_order_relaxed);
        c->counted = true;
    }
    c->start();
}

void Server::link(Connection* c) {
    c->next = head_;
    if (head_)
        head_->prev = c;
    head_ = c;
    ++count_;
}

void Server::unlink(Connection* c) {
    if (c->to_send_)
        std::erase(to_send_, c);
    (c->prev ? c->prev->next : head_) = c->next;
    if (c->next)
        c->next->prev = c->prev;
    --count_;
    if (c->counted && opt_.clients)
        opt_.clients->fetch_sub(1, std::memory_order_relaxed);
}

void Server::stop() {
    if (stopping_)
        return;
    stopping_ = true;
    if (listening_)
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    listening_ = false;
    if (backoff_init_)
        uv_close(reinterpret_cast<uv_handle_t*>(&backoff_), nullptr);
    if (batching_) {
        send_batch();
        batching_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&turn_end_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&no_sleep_), nullptr);
    }
    for (Connection* c = head_; c; c = c->next)
        if (!c->closing())
            c->finish();
}

void Server::close_all() {
    for (Connection* c = head_; c; c = c->next)
        c->close();
}

void Server::tick(std::uint64_t now) {
    std::uint64_t idle_ms = opt_.live ? opt_.live->idle_timeout_ms.load(std::memory_order_relaxed) : opt_.idle_timeout_ms;
    for (Connection* c = head_; c; c = c->next) {
        if (c->closing())
            continue;
        if (c->session_ && c->session_->killed()) {
            c->close();
            continue;
        }
        if (c->over_output_limits(now))
            continue;
        if (c->lingering_too_long(now) || (idle_ms && now - c->last_active() > idle_ms))
            c->close();
    }
}

} // namespace syskit::net

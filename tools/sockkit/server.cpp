#include "server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syskit::sockkit {

namespace {

std::string peer_name(uv_tcp_t* tcp) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return "?";
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        return fmt::format("{}:{}", host, ntohs(v4->sin_port));
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(v6->sin6_port));
}

} // namespace

Server::Server(loop::Loop& loop, const net::Listener& listener, bool unix_socket, Service& service,
               ServerConfig config, log::Logger& logger)
    : loop_(loop.get()), fd_(listener.fd()), unix_(unix_socket), service_(service), config_(config),
      logger_(logger) {}

Server::~Server() {
    stop();
    // The handles live in this object and its connections: let libuv finish closing them
    // before the memory goes.
    while (listening_ || !conns_.empty() || closing_ > 0)
        uv_run(loop_, UV_RUN_ONCE);
}

bool Server::start(std::string& error) {
    // libuv closes the descriptor it is given; the Listener keeps its own, to remove the
    // socket file after.
    int fd = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("fcntl(F_DUPFD_CLOEXEC): ") + std::strerror(errno);
        return false;
    }
    auto* h = reinterpret_cast<uv_stream_t*>(&listener_);
    int rc = unix_ ? uv_pipe_init(loop_, &listener_.pipe, 0) : uv_tcp_init(loop_, &listener_.tcp);
    if (rc == 0)
        rc = unix_ ? uv_pipe_open(&listener_.pipe, fd) : uv_tcp_open(&listener_.tcp, fd);
    else
        ::close(fd);
    listening_ = true;
    h->data = this;
    if (rc == 0)
        rc = uv_listen(h, 511, on_connection);
    if (rc != 0) {
        error = std::string("uv_listen: ") + uv_strerror(rc);
        stop();
        return false;
    }
    return true;
}

void Server::stop() {
    if (listening_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&listener_))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), [](uv_handle_t* h) {
            static_cast<Server*>(h->data)->listening_ = false;
        });
    }
    auto conns = conns_;
    for (Conn* c : conns)
        c->close_handle("server stopping");
}

void Server::on_connection(uv_stream_t* listener, int status) {
    auto* s = static_cast<Server*>(listener->data);
    if (status < 0) {
        s->logger_.warn("accept failed", {{"error", std::string_view(uv_strerror(status))}});
        return;
    }
    auto* c = new Conn(*s);
    int rc = s->unix_ ? uv_pipe_init(s->loop_, &c->handle_.pipe, 0) : uv_tcp_init(s->loop_, &c->handle_.tcp);
    if (rc != 0) {
        delete c;
        return;
    }
    c->handle_.tcp.data = c;
    s->closing_++;
    if (uv_accept(listener, c->stream()) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle_), [](uv_handle_t* h) {
            auto* conn = static_cast<Conn*>(h->data);
            conn->server_.closing_--;
            delete conn;
        });
        return;
    }
    s->closing_--;
    // Numbered across every server of the process: a hub fed by several keeps them apart.
    static std::uint64_t next_id = 1;
    c->peer_.id = next_id++;
    s->conns_.push_back(c);
    c->start();
}

void Server::remove(Conn* c) { conns_.erase(std::remove(conns_.begin(), conns_.end(), c), conns_.end()); }

void Conn::start() {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &fd);
    if (server_.unix_) {
        net::PeerCred cred;
        if (net::peer_credentials(fd, cred)) {
            peer_.cred = cred;
            peer_.address = fmt::format("uid {} gid {} pid {}", cred.uid, cred.gid, cred.pid);
        }
    } else {
        uv_tcp_nodelay(&handle_.tcp, 1);
        peer_.address = peer_name(&handle_.tcp);
    }
    server_.logger_.info("connected", {{"conn", peer_.id}, {"peer", std::string_view(peer_.address)}});
    if (auto refusal = server_.service_.admit(peer_)) {
        // Refused before any TLS: a Unix peer, which has no TLS.
        notified_ = true;
        server_.logger_.warn("refused", {{"conn", peer_.id}, {"reason", std::string_view(*refusal)}});
        out_ = *refusal;
        close_after_send();
        return;
    }
    if (server_.config_.tls)
        tls_ = std::make_unique<net::TlsSession>(*server_.config_.tls);
    server_.service_.opened(*this);
    update_reading();
}

void Conn::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(h->data);
    *buf = uv_buf_init(c->server_.scratch_.data(), static_cast<unsigned>(c->server_.scratch_.size()));
}

void Conn::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(s->data);
    if (nread == 0 || c->closing_)
        return;
    if (nread < 0) {
        if (nread != UV_EOF) {
            c->drop(std::string("read: ") + uv_strerror(static_cast<int>(nread)));
            return;
        }
        // The peer may only have shut down its side: what it sent is answered, then closed.
        if (!c->notified_) {
            c->notified_ = true;
            c->server_.service_.closed(*c, "");
        }
        c->close_after_send();
        return;
    }
    std::string_view data(buf->base, static_cast<std::size_t>(nread));
    if (!c->tls_) {
        c->deliver(data);
        return;
    }
    std::string plain;
    bool ok = c->tls_->feed(data, plain);
    c->tls_->drain(c->out_);
    if (!plain.empty())
        c->deliver(plain);
    if (!ok && !c->closing_) {
        c->drop("TLS: " + c->tls_->error());
        return;
    }
    c->flush();
}

void Conn::deliver(std::string_view plain) {
    if (!closing_ && !close_after_send_)
        server_.service_.received(*this, plain);
}

void Conn::send(std::string_view data) {
    if (closing_)
        return;
    if (tls_) {
        if (!tls_->encrypt(data, out_)) {
            drop("TLS: " + tls_->error());
            return;
        }
        flush();
    } else if (out_.empty() && !write_pending_) {
        // Nothing queued before: what the socket takes at once goes from where it lies (for
        // echo, the read buffer), and only the rest is copied.
        ssize_t n = try_write(data);
        if (n < 0)
            return;
        if (static_cast<std::size_t>(n) == data.size()) {
            if (close_after_send_)
                close_handle("");
            return;
        }
        out_.append(data.substr(static_cast<std::size_t>(n)));
        // The socket just refused the rest: straight to libuv, which writes when it can.
        flush(false);
    } else {
        out_.append(data);
        flush();
    }
    const auto& config = server_.config_;
    if (!closing_ && (queued() > config.max_queue ||
                      (config.pause_when_full && config.overflow == Overflow::pause && queued() > 0))) {
        if (config.overflow == Overflow::disconnect) {
            drop(fmt::format("too slow: more than {} bytes waiting to be sent", config.max_queue));
        } else {
            paused_by_queue_ = true;
            update_reading();
        }
    }
}

ssize_t Conn::try_write(std::string_view data) {
    if (data.empty())
        return 0;
    uv_buf_t b = uv_buf_init(const_cast<char*>(data.data()),
                             static_cast<unsigned>(std::min<std::size_t>(data.size(), 1u << 30)));
    int n = uv_try_write(stream(), &b, 1);
    if (n >= 0)
        return n;
    if (n == UV_EAGAIN || n == UV_ENOSYS)
        return 0;
    drop(std::string("write: ") + uv_strerror(n));
    return -1;
}

void Conn::flush(bool try_now) {
    if (write_pending_ || out_.empty() || closing_)
        return;
    // Most writes fit the socket buffer: try at once, and queue a libuv write only for the rest.
    ssize_t n = try_now ? try_write(out_) : 0;
    if (n < 0)
        return;
    if (static_cast<std::size_t>(n) == out_.size()) {
        out_.clear();
        if (close_after_send_)
            close_handle("");
        return;
    }
    // The rest goes from where it lies in writing_, not moved to its front.
    writing_.swap(out_);
    out_.clear();
    written_ = static_cast<std::size_t>(n);
    uv_buf_t b = uv_buf_init(writing_.data() + written_, static_cast<unsigned>(writing_.size() - written_));
    wreq_.data = this;
    write_pending_ = true;
    if (int rc = uv_write(&wreq_, stream(), &b, 1, on_write); rc != 0) {
        write_pending_ = false;
        drop(std::string("write: ") + uv_strerror(rc));
    }
}

void Conn::on_write(uv_write_t* req, int status) {
    auto* c = static_cast<Conn*>(req->data);
    c->write_pending_ = false;
    c->writing_.clear();
    c->written_ = 0;
    if (c->closing_)
        return;
    if (status < 0) {
        c->drop(std::string("write: ") + uv_strerror(status));
        return;
    }
    c->flush();
    if (c->closing_ || c->write_pending_)
        return;
    if (c->paused_by_queue_ && c->queued() <= c->server_.config_.max_queue / 2) {
        c->paused_by_queue_ = false;
        c->update_reading();
    }
    if (c->queued() == 0)
        c->server_.service_.drained(*c);
}

std::uint64_t Conn::now() const { return uv_now(server_.loop_); }

void Conn::pause_reading(bool pause) {
    paused_by_service_ = pause;
    update_reading();
}

void Conn::update_reading() {
    bool want = !closing_ && !close_after_send_ && !paused_by_service_ && !paused_by_queue_;
    if (want == reading_)
        return;
    if (want)
        reading_ = uv_read_start(stream(), on_alloc, on_read) == 0;
    else {
        uv_read_stop(stream());
        reading_ = false;
    }
}

void Conn::close_after_send() {
    close_after_send_ = true;
    update_reading();
    if (queued() == 0)
        close_handle("");
    else
        flush();
}

void Conn::drop(std::string_view reason) {
    if (closing_)
        return;
    server_.logger_.warn("dropped", {{"conn", peer_.id}, {"reason", reason}});
    close_handle(reason);
}

void Conn::close_handle(std::string_view reason) {
    if (closing_)
        return;
    closing_ = true;
    if (!notified_) {
        notified_ = true;
        server_.service_.closed(*this, reason);
    }
    server_.remove(this);
    server_.closing_++;
    server_.logger_.info("closed", {{"conn", peer_.id}});
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* h) {
        auto* c = static_cast<Conn*>(h->data);
        c->server_.closing_--;
        delete c;
    });
}

} // namespace syskit::sockkit

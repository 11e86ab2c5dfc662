#include "forward.hpp"

#include "auth.hpp"
#include "resp.hpp"
#include "slots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace syskit::cachenode {

namespace {

/// One reply from a peer: a simple string, an error, an integer or a bulk string.
struct Reply {
    char type = 0;
    std::string text;  ///< the line after the type byte, or the bulk string
    bool null = false; ///< a null bulk string
};

enum class Parse { ok, more, bad };

/// Parses the reply at the front of b; used: its length.
Parse parse_reply(std::string_view b, std::size_t max_bulk, Reply& r, std::size_t& used) {
    std::size_t eol = b.find("\r\n");
    if (eol == std::string_view::npos)
        return b.size() > 64 * 1024 ? Parse::bad : Parse::more;
    if (eol == 0)
        return Parse::bad;
    r.type = b[0];
    r.null = false;
    std::string_view line = b.substr(1, eol - 1);
    if (r.type == '+' || r.type == '-' || r.type == ':') {
        r.text = line;
        used = eol + 2;
        return Parse::ok;
    }
    long long len = -2;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), len);
    if (r.type != '$' || ec != std::errc() || end != line.data() + line.size() || len < -1 ||
        (len >= 0 && static_cast<unsigned long long>(len) > max_bulk))
        return Parse::bad;
    if (len == -1) {
        r.null = true;
        r.text.clear();
        used = eol + 2;
        return Parse::ok;
    }
    auto n = static_cast<std::size_t>(len);
    if (b.size() < eol + 2 + n + 2)
        return Parse::more;
    if (b.substr(eol + 2 + n, 2) != "\r\n")
        return Parse::bad;
    r.text = b.substr(eol + 2, n);
    used = eol + 4 + n;
    return Parse::ok;
}

/// A redirection: "MOVED slot ip:port" or "ASK slot ip:port".
struct Redirect {
    bool ask = false;
    std::string addr;
};

std::optional<Redirect> parse_redirect(std::string_view err) {
    Redirect r;
    if (err.starts_with("ASK "))
        r.ask = true;
    else if (!err.starts_with("MOVED "))
        return std::nullopt;
    r.addr = std::string(err.substr(err.rfind(' ') + 1));
    return r;
}

class ForwardedOp;
class Pool;

/// The link of one loop to one peer: one connection, the requests pipelined on it, their
/// replies matched in order.  Frees itself once closed.
class Peer {
public:
    Peer(Pool& pool, std::string addr);
    /// Queues cmd (after ASKING when asking) for op, connecting first if need be.
    void send(std::shared_ptr<ForwardedOp> op, bool asking, const std::string& cmd);
    /// Fails every request waiting with why and closes the link.
    void close(const std::string& why);

private:
    struct Waiter {
        std::shared_ptr<ForwardedOp> op;
        int skip;   ///< replies to drop before op's (ASKING's)
        bool reused; ///< sent on a connection that was already open
    };
    static void on_connect(uv_connect_t* req, int status);
    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    static void on_timer(uv_timer_t* t);
    static void on_close(uv_handle_t* h);
    void connect();
    void flush();
    /// With TLS: the peer's ciphertext, its plaintext on to received().
    void decrypt(std::string_view cipher);
    void received(std::string_view data);
    void arm_timer();

    Pool& pool_;
    std::string addr_;
    uv_tcp_t tcp_{};
    uv_timer_t timer_{};
    uv_connect_t creq_{};
    uv_write_t wreq_{};
    std::string out_, writing_, in_;
    /// With TLS between nodes; out_ waits for its handshake.
    std::unique_ptr<net::TlsSession> tls_;
    std::deque<Waiter> waiting_;
    int hello_ = 0; ///< replies to AUTH and CLIENT SETNAME still to come
    bool connecting_ = false, connected_ = false, write_pending_ = false, closing_ = false;
    int open_handles_ = 2;
    std::string deferred_error_; ///< a failure to report from the timer, outside send()
};

/// A request waiting on a timer of its pool's loop to be tried again (ForwardedOp::again()).
struct Retry {
    uv_timer_t timer{};
    Pool* pool;
    std::shared_ptr<ForwardedOp> op;
};

/// The forwarding links of one event loop, and the requests waiting to be tried again.
class Pool {
public:
    Pool(uv_loop_t* loop, const Config& cfg) : loop_(loop), cfg_(cfg) {}
    Peer& peer(const std::string& addr) {
        auto it = peers_.find(addr);
        if (it == peers_.end())
            it = peers_.emplace(addr, new Peer(*this, addr)).first;
        return *it->second;
    }
    void forget(const std::string& addr) { peers_.erase(addr); }
    void close();
    /// Calls op->resume() in ms milliseconds, on the loop.
    void retry_later(std::shared_ptr<ForwardedOp> op, std::uint64_t ms);
    bool closed() const { return closed_; }
    uv_loop_t* loop() const { return loop_; }
    const Config& cfg() const { return cfg_; }
    std::uint64_t timeout_ms() const { return std::clamp<std::uint64_t>(cfg_.cluster.node_timeout_ms, 100, 2000); }
    std::array<char, 65536> scratch{};

private:
    uv_loop_t* loop_;
    const Config& cfg_;
    static void on_retry(uv_timer_t* t);
    static void on_retry_closed(uv_handle_t* h) { delete static_cast<Retry*>(h->data); }

    std::map<std::string, Peer*, std::less<>> peers_;
    std::set<Retry*> retries_;
    bool closed_ = false;
};

/// Each thread runs one event loop; a map all the same, for whatever runs several in turn.
thread_local std::map<uv_loop_t*, std::unique_ptr<Pool>> pools;

Pool& pool_of(uv_loop_t* loop, const Config& cfg) {
    auto& p = pools[loop];
    if (!p)
        p = std::make_unique<Pool>(loop, cfg);
    return *p;
}

/// One HTTP request's operation on its way through the cluster.
class ForwardedOp final : public Forwarding, public std::enable_shared_from_this<ForwardedOp> {
public:
    ForwardedOp(cluster::State& cl, Pool& pool, const KeyOp& op, std::function<void()> on_done)
        : cl_(cl), pool_(pool), kind_(op.kind), key_(op.key), slot_(cluster::key_slot(op.key)),
          on_done_(std::move(on_done)) {
        switch (op.kind) {
        case KeyOp::Kind::get:
            resp::command(cmd_, {"GET", op.key});
            break;
        case KeyOp::Kind::del:
            resp::command(cmd_, {"DEL", op.key});
            break;
        case KeyOp::Kind::set:
            if (op.ttl_ms > 0)
                resp::command(cmd_, {"SET", op.key, op.value, "PX", std::to_string(op.ttl_ms)});
            else
                resp::command(cmd_, {"SET", op.key, op.value});
            break;
        }
    }
    bool finished() const override { return finished_; }
    const Forwarded& result() const override { return result_; }
    void cancel() override { on_done_ = nullptr; }

    /// Sends the operation on its next hop: next, or where this node's own view says.
    void step(std::optional<Redirect> next);
    /// The peer's reply.
    void replied(const Reply& r);
    /// The peer could not be asked: why.  reused: the request went on a link opened before it,
    /// which the peer may have closed meanwhile (a restart, its idle timeout): tried once more
    /// on a new one.
    void failed(const std::string& why, bool reused);
    /// A new round after a wait (Pool::retry_later): from this node's own view, which the
    /// cluster may have changed meanwhile.
    void resume();
    /// Given up without an answer: why (a 503).
    void abandon(std::string why) { fail(503, std::move(why)); }

private:
    void finish(Forwarded f) {
        f.hops = hops_;
        result_ = std::move(f);
        finished_ = true;
        if (asked_ && on_done_) {
            auto done = std::move(on_done_);
            done();
        }
    }
    void fail(int status, std::string message) {
        Forwarded f;
        f.status = status;
        f.message = std::move(message);
        f.node = last_;
        finish(std::move(f));
    }
    std::string node_name(std::string_view addr) const {
        auto n = cl_.node_at(addr);
        return n ? fmt::format("node {} ({})", n->id, addr) : fmt::format("node {}", addr);
    }

    /// The slot is moving (why): tried again after a wait while the waits last, else a 503.
    void again(std::string why);

    cluster::State& cl_;
    Pool& pool_;
    KeyOp::Kind kind_;
    std::string key_;
    unsigned slot_;
    std::string cmd_;
    std::function<void()> on_done_;
    Forwarded result_;
    bool finished_ = false;
    bool asked_ = false; ///< a peer was asked: the result comes later, through on_done
    bool retried_ = false;
    bool last_ask_ = false;
    int hops_ = 0;
    int round_hops_ = 0; ///< hops of this round, at most max_hops
    unsigned retries_ = 0;
    std::uint64_t waited_ms_ = 0;
    std::string last_; ///< the node asked last
};

void ForwardedOp::again(std::string why) {
    if (retries_ == retry_waits_ms.size() || pool_.closed()) {
        if (retries_ > 0)
            why += fmt::format(", in each of {} tries over {} ms", retries_ + 1, waited_ms_);
        return fail(503, std::move(why));
    }
    std::uint64_t ms = retry_waits_ms[retries_++];
    waited_ms_ += ms;
    asked_ = true; // the answer comes through on_done, also when no peer was asked yet
    pool_.retry_later(shared_from_this(), ms);
}

void ForwardedOp::resume() {
    if (!on_done_)
        return; // cancelled: nobody waits for it
    round_hops_ = 0;
    step(std::nullopt);
}

void Pool::retry_later(std::shared_ptr<ForwardedOp> op, std::uint64_t ms) {
    auto* r = new Retry{};
    r->pool = this;
    r->op = std::move(op);
    r->timer.data = r;
    uv_timer_init(loop_, &r->timer);
    uv_timer_start(&r->timer, on_retry, ms, 0);
    retries_.insert(r);
}

void Pool::on_retry(uv_timer_t* t) {
    auto* r = static_cast<Retry*>(t->data);
    auto op = std::move(r->op);
    r->pool->retries_.erase(r);
    uv_close(reinterpret_cast<uv_handle_t*>(t), on_retry_closed);
    op->resume();
}

void Pool::close() {
    closed_ = true;
    while (!peers_.empty())
        peers_.begin()->second->close("the node is stopping");
    auto retries = std::move(retries_);
    retries_.clear();
    for (Retry* r : retries) {
        auto op = std::move(r->op);
        uv_close(reinterpret_cast<uv_handle_t*>(&r->timer), on_retry_closed);
        op->abandon("the node is stopping");
    }
}

void ForwardedOp::step(std::optional<Redirect> next) {
    for (;;) {
        if (!next) {
            const bool write = kind_ != KeyOp::Kind::get;
            const cluster::KeySpec spec{1, 1, 1, write ? "write" : "readonly"};
            std::array<std::string_view, 2> argv{write ? "SET" : "GET", key_};
            cluster::ClientFlags flags;
            std::string err;
            if (cl_.route(argv, spec, flags, err)) {
                Forwarded f;
                f.outcome = Forwarded::Outcome::here;
                return finish(std::move(f));
            }
            err = err.substr(1, err.find("\r\n") - 1);
            next = parse_redirect(err);
            if (!next) {
                auto owner = cl_.owner_of(slot_);
                if (!owner)
                    return fail(503, fmt::format("slot {} is not served by any node ({})", slot_, err));
                last_ = owner->addr;
                return fail(503, fmt::format("slot {} is served by node {} ({}), which is down ({})", slot_,
                                             owner->id, owner->addr, err));
            }
        }
        if (round_hops_ == max_hops)
            return again(fmt::format("slot {} is moving: redirected on after {} nodes, the last {}", slot_,
                                     round_hops_, node_name(last_)));
        auto peer = cl_.node_at(next->addr);
        if (peer && peer->myself) {
            // Sent back here: this node's own view decides again.
            ++hops_;
            ++round_hops_;
            next.reset();
            continue;
        }
        if (peer && peer->failing) {
            last_ = next->addr;
            return fail(503, fmt::format("slot {} is served by node {} ({}), which the cluster finds down", slot_,
                                         peer->id, peer->addr));
        }
        if (pool_.closed())
            return fail(503, "the node is stopping");
        ++hops_;
        ++round_hops_;
        last_ = next->addr;
        last_ask_ = next->ask;
        asked_ = true;
        pool_.peer(next->addr).send(shared_from_this(), next->ask, cmd_);
        return;
    }
}

void ForwardedOp::replied(const Reply& r) {
    if (r.type == '-') {
        if (auto next = parse_redirect(r.text))
            return step(std::move(next));
        if (r.text.starts_with("TRYAGAIN"))
            return again(fmt::format("slot {}: {} answered: {}", slot_, node_name(last_), r.text));
        int status = r.text.starts_with("OOM") ? 507
                     : r.text.starts_with("CLUSTERDOWN") || r.text.starts_with("LOADING") ? 503
                     : 502;
        return fail(status, fmt::format("slot {}: {} answered: {}", slot_, node_name(last_), r.text));
    }
    Forwarded f;
    f.node = last_;
    if (kind_ == KeyOp::Kind::get)
        f.outcome = r.null ? Forwarded::Outcome::missing : Forwarded::Outcome::value;
    else if (kind_ == KeyOp::Kind::del)
        f.outcome = r.text == "0" ? Forwarded::Outcome::missing : Forwarded::Outcome::done;
    else
        f.outcome = Forwarded::Outcome::done;
    f.value = r.text;
    finish(std::move(f));
}

void ForwardedOp::failed(const std::string& why, bool reused) {
    if (reused && !retried_ && !pool_.closed()) {
        retried_ = true;
        pool_.peer(last_).send(shared_from_this(), last_ask_, cmd_);
        return;
    }
    fail(503, fmt::format("slot {} is served by {}, which is not reachable: {}", slot_, node_name(last_), why));
}

Peer::Peer(Pool& pool, std::string addr) : pool_(pool), addr_(std::move(addr)) {
    uv_tcp_init(pool_.loop(), &tcp_);
    uv_timer_init(pool_.loop(), &timer_);
    tcp_.data = timer_.data = creq_.data = this;
}

void Peer::connect() {
    connecting_ = true;
    sockaddr_storage sa{};
    std::size_t colon = addr_.rfind(':');
    std::string host = addr_.substr(0, colon);
    int port = std::atoi(addr_.c_str() + colon + 1);
    int rc = colon == std::string::npos ? UV_EINVAL
             : host.find(':') == std::string::npos
                 ? uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&sa))
                 : uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&sa));
    if (rc == 0)
        rc = uv_tcp_connect(&creq_, &tcp_, reinterpret_cast<sockaddr*>(&sa), on_connect);
    if (rc != 0) {
        // Reported from the loop, not from inside send(): the caller is still in on_data.
        deferred_error_ = std::string("connect: ") + uv_strerror(rc);
        uv_timer_start(&timer_, on_timer, 0, 0);
        return;
    }
    const Config& cfg = pool_.cfg();
    if (!cfg.password.empty()) {
        resp::command(out_, {"AUTH", cfg.password});
        ++hello_;
    }
    resp::command(out_, {"CLIENT", "SETNAME", "http-forward"});
    ++hello_;
}

void Peer::send(std::shared_ptr<ForwardedOp> op, bool asking, const std::string& cmd) {
    bool reused = connected_;
    if (!connecting_ && !connected_)
        connect();
    if (asking)
        resp::command(out_, {"ASKING"});
    out_ += cmd;
    waiting_.push_back({std::move(op), asking ? 1 : 0, reused});
    if (waiting_.size() == 1 && deferred_error_.empty())
        arm_timer();
    flush();
}

void Peer::arm_timer() { uv_timer_start(&timer_, on_timer, pool_.timeout_ms(), 0); }

void Peer::flush() {
    if (!connected_ || write_pending_ || closing_)
        return;
    if (!tls_) {
        writing_.swap(out_);
        out_.clear();
    } else {
        tls_->drain(writing_); // handshake messages first
        if (tls_->ready() && !out_.empty()) {
            if (!tls_->encrypt(out_, writing_))
                return close(tls_->error());
            out_.clear();
        }
    }
    if (writing_.empty())
        return;
    uv_buf_t b = uv_buf_init(writing_.data(), static_cast<unsigned>(writing_.size()));
    int rc = uv_write(&wreq_, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, on_write);
    if (rc != 0)
        return close(std::string("write: ") + uv_strerror(rc));
    write_pending_ = true;
}

void Peer::on_connect(uv_connect_t* req, int status) {
    auto* p = static_cast<Peer*>(req->data);
    p->connecting_ = false;
    if (p->closing_)
        return;
    if (status < 0)
        return p->close(std::string("connect: ") + uv_strerror(status));
    p->connected_ = true;
    uv_tcp_nodelay(&p->tcp_, 1);
    int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&p->tcp_), on_alloc, on_read);
    if (rc != 0)
        return p->close(std::string("read: ") + uv_strerror(rc));
    if (const net::TlsContext* ctx = cluster::peer_tls()) {
        p->tls_ = std::make_unique<net::TlsSession>(*ctx, net::TlsSession::Side::connect);
        std::string none;
        if (!p->tls_->feed({}, none))
            return p->close(p->tls_->error());
    }
    p->flush();
}

void Peer::on_write(uv_write_t* req, int status) {
    auto* p = static_cast<Peer*>(req->handle->data);
    p->write_pending_ = false;
    p->writing_.clear();
    if (p->closing_)
        return;
    if (status < 0)
        return p->close(std::string("write: ") + uv_strerror(status));
    p->flush();
}

void Peer::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    auto* p = static_cast<Peer*>(h->data);
    *buf = uv_buf_init(p->pool_.scratch.data(), static_cast<unsigned>(p->pool_.scratch.size()));
}

void Peer::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* p = static_cast<Peer*>(s->data);
    if (p->closing_)
        return;
    if (nread < 0)
        return p->close(nread == UV_EOF ? p->tls_ && !p->tls_->ready()
                                              ? "the peer closed the connection during the TLS handshake"
                                              : "the peer closed the connection"
                                        : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
    std::string_view got(buf->base, static_cast<std::size_t>(nread));
    if (p->tls_)
        p->decrypt(got);
    else if (nread > 0)
        p->received(got);
}

void Peer::decrypt(std::string_view cipher) {
    bool was_ready = tls_->ready();
    std::string plain;
    if (!tls_->feed(cipher, plain))
        return close(was_ready ? tls_->error() : "TLS handshake failed: " + tls_->error());
    // The handshake's answers, and the requests that waited for its end.
    flush();
    if (!plain.empty() && !closing_)
        received(plain);
}

void Peer::received(std::string_view data) {
    in_.append(data);
    std::size_t pos = 0;
    Reply r;
    while (!closing_) {
        std::size_t used = 0;
        Parse st = parse_reply(std::string_view(in_).substr(pos), pool_.cfg().store.max_value, r, used);
        if (st == Parse::more)
            break;
        if (st == Parse::bad || (hello_ == 0 && waiting_.empty()))
            return close("the peer sent what is not a reply to a request");
        pos += used;
        if (hello_ > 0) {
            --hello_;
            if (r.type == '-')
                return close("the peer refused the connection: " + r.text);
            continue;
        }
        Waiter& w = waiting_.front();
        if (w.skip > 0) {
            --w.skip;
            continue;
        }
        auto op = std::move(w.op);
        waiting_.pop_front();
        if (waiting_.empty())
            uv_timer_stop(&timer_);
        else
            arm_timer();
        // May send more on this link (a new request from the same loop): appends only.
        op->replied(r);
    }
    if (!closing_)
        in_.erase(0, pos);
}

void Peer::on_timer(uv_timer_t* t) {
    auto* p = static_cast<Peer*>(t->data);
    if (p->closing_)
        return;
    p->close(p->deferred_error_.empty() ? fmt::format("no reply within {} ms", p->pool_.timeout_ms())
                                        : p->deferred_error_);
}

void Peer::close(const std::string& why) {
    if (closing_)
        return;
    closing_ = true;
    // Out of the pool first: a request failed below and tried again gets a new link.
    pool_.forget(addr_);
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (Waiter& w : waiting)
        w.op->failed(why, w.reused);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
}

void Peer::on_close(uv_handle_t* h) {
    auto* p = static_cast<Peer*>(h->data);
    if (--p->open_handles_ == 0)
        delete p;
}

} // namespace

std::shared_ptr<Forwarding> forward(cluster::State& cluster, const Config& cfg, uv_loop_t* loop, const KeyOp& op,
                                    std::function<void()> on_done) {
    if (cluster.serves(cluster::key_slot(op.key)))
        return nullptr;
    auto f = std::make_shared<ForwardedOp>(cluster, pool_of(loop, cfg), op, std::move(on_done));
    f->step(std::nullopt);
    if (f->finished() && f->result().outcome == Forwarded::Outcome::here)
        return nullptr;
    return f;
}

void close_forwarding(uv_loop_t* loop) {
    auto it = pools.find(loop);
    if (it != pools.end())
        it->second->close();
}

} // namespace syskit::cachenode

// tcp: TCP servers on a libuv loop: listening sockets that several loops can share through
// SO_REUSEPORT, connections with buffered, batched writes, optional TLS, limits on clients,
// pending output and idle time, and a graceful stop (book chapter 10).
//
// A protocol is a Session: bytes in, bytes out, no sockets, so it can be tested and fuzzed on
// its own.  libuv accepts with accept4(2) and polls with epoll(7); the replies to everything
// one read brought leave in a single write(2).
#pragma once

#include "fs/fd.hpp"
#include "net/poller.hpp"
#include "net/tls.hpp"

#include <uv.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::net {

/// A host (IPv4 or IPv6 literal) and a port.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    /// "127.0.0.1:6380", "[::1]:6380".
    std::string str() const;
};

/// A listening TCP socket on ep: non-blocking, close-on-exec, SO_REUSEADDR, and with reuseport
/// SO_REUSEPORT, so that one socket per event loop can be bound to the same address and the
/// kernel spreads new connections over them.  An invalid fd with error set on failure.
fs::UniqueFd listen_tcp(const Endpoint& ep, bool reuseport, int backlog, std::string& error);

/// What a Session wants done after handling input.
enum class After { keep, close };

/// One connection's protocol: consumes requests, produces replies.
class Session {
public:
    virtual ~Session() = default;
    /// in: everything received and not yet consumed.  Consumes whole requests from its front,
    /// setting consumed to their length, and appends the replies to out.  Input left over is
    /// given again, with more after it, on the next call.  After::close: close the connection
    /// once out is sent.
    virtual After on_data(std::string_view in, std::size_t& consumed, std::string& out) = 0;
    /// Whether the last on_data stopped with whole requests left because out had grown past
    /// what the session lets one call produce: it is called again with them once the pending
    /// output has drained below max_pending_output, even if no more input comes.
    virtual bool stalled() const { return false; }
    /// The connection's peer and local addresses as "ip:port" ("[ip6]:port"), given once
    /// before any data (a Redis server's CLIENT LIST shows them).
    virtual void connected(std::string_view /*peer*/, std::string_view /*local*/) {}
    /// Whether the session wants its connection closed now, without waiting for input (another
    /// connection asked for it: CLIENT KILL).  Looked at by Server::tick, once a second.
    virtual bool killed() const { return false; }
    /// Given once, before any data: the connection's loop, and resume, which makes the
    /// connection give on_data what it holds again (even nothing new) and send what that
    /// appends.  For a session that answers a request later than it reads it (a proxy): its
    /// on_data returns without the reply, and it calls resume on the loop's thread once the
    /// reply is ready.  resume must not be called after the session is destroyed.
    virtual void attached(uv_loop_t* /*loop*/, std::function<void()> /*resume*/) {}
};

/// Limits on a connection's pending output beyond which it is closed (Redis's
/// client-output-buffer-limit): over hard at once, over soft for soft_ms.  0: no limit.
/// Atomics, so that they can be changed while the server runs.
struct OutputLimits {
    std::atomic<std::size_t> hard{0};
    std::atomic<std::size_t> soft{0};
    std::atomic<std::uint64_t> soft_ms{0};
};

/// Limits a server reads afresh each time it applies them, so that they can be changed while it
/// runs (a Redis server's CONFIG SET maxclients and timeout).  0: no limit.
struct LiveLimits {
    std::atomic<std::uint64_t> max_clients{0};
    std::atomic<std::uint64_t> idle_timeout_ms{0};
};

struct ServerOptions {
    /// Called for each new connection.
    std::function<std::unique_ptr<Session>()> make_session;
    /// Sent to a client accepted beyond max_clients, before closing it.
    std::string reject_message;
    /// Shared by every Server counting against the same limit (0: no limit).
    std::atomic<std::uint64_t>* clients = nullptr;
    std::uint64_t max_clients = 0;
    /// Reading pauses while more than this waits to be sent, so a client that does not read
    /// its replies cannot make the server buffer without bound.
    std::size_t max_pending_output = std::size_t{1} << 20;
    /// Connections whose pending output passes these are closed (null: never).
    const OutputLimits* output_limits = nullptr;
    /// Connections silent for longer are closed by close_idle() (0: never).
    std::uint64_t idle_timeout_ms = 0;
    const TlsContext* tls = nullptr;
    /// When set, its values are used instead of max_clients and idle_timeout_ms.
    const LiveLimits* live = nullptr;
    /// Called with each accepted and each rejected connection (for counters).
    std::function<void(bool accepted)> on_accept;
    /// The loop's Poller, told of every read (null: the loop sleeps as soon as it is idle).
    Poller* poller = nullptr;
    /// Replies are sent once per turn of the loop, after everything the poll brought has been
    /// read and answered, rather than as each read is answered (as Redis writes before it
    /// sleeps).  Clients waiting on several connections then get their replies in one burst
    /// instead of being woken for each, and the server is less often preempted by the clients
    /// its writes wake.  The system calls are the same.
    bool batch_writes = false;
};

class Connection;

/// One listening socket served on one loop, and the connections accepted from it.  Must outlive
/// the loop's run: connections free themselves from libuv's close callbacks.
class Server {
public:
    Server(uv_loop_t* loop, fs::UniqueFd listen_fd, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Starts accepting; false with error set when libuv refuses the socket.
    bool start(std::string& error);
    /// Stops accepting and lets every connection finish: no more reading, pending replies sent,
    /// then closed.  The loop ends once all are closed.
    void stop();
    /// Closes every connection now, replies still pending or not (after stop(), once the
    /// grace for them to finish has passed).
    void close_all();
    /// Call about once a second: closes connections idle for longer than the idle timeout,
    /// and those still waiting for their peer to close after an error.  now: uv_now().
    void tick(std::uint64_t now);
    std::size_t connections() const { return count_; }

private:
    friend class Connection;
    static void on_connection(uv_stream_t* listener, int status);
    /// accept4 failed with EMFILE or ENFILE: frees the reserve descriptor to accept and reject
    /// the waiting clients, and when even that fails stops listening for a while, so that the
    /// loop neither spins on the failing accept nor leaves clients hanging in the backlog.
    void out_of_descriptors();
    bool listen_again(std::string& error);
    static void on_backoff(uv_timer_t* t);
    /// batch_writes: c has replies to send at the end of this turn of the loop.
    void send_later(Connection* c);
    static void on_turn_end(uv_check_t* h);
    void send_batch();
    void link(Connection* c);
    void unlink(Connection* c);

    uv_loop_t* loop_;
    uv_tcp_t listener_{};
    fs::UniqueFd fd_;      ///< the listening socket; libuv's handle has a duplicate
    fs::UniqueFd reserve_; ///< /dev/null, held to be closed when descriptors run out
    uv_timer_t backoff_{};
    bool backoff_init_ = false;
    bool listening_ = false;
    bool stopping_ = false;
    ServerOptions opt_;
    Connection* head_ = nullptr;
    std::size_t count_ = 0;
    // batch_writes: the connections with replies to send once the poll's callbacks are done (the
    // check handle runs then; the idle one, active while any wait, keeps the next poll from
    // sleeping when replies were made outside the poll's callbacks).
    uv_check_t turn_end_{};
    uv_idle_t no_sleep_{};
    bool batching_ = false;
    std::vector<Connection*> to_send_;
    /// Where reads land; sessions consume them before the next read, so one buffer per
    /// loop is enough and an idle connection holds none.
    std::array<char, 65536> scratch_{};
};

} // namespace syskit::net

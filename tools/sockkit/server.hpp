// server: a stream server on the libuv loop for any listening socket (Unix, abstract, TCP),
// optionally over TLS: accepts, checks a Unix peer's credentials, and moves bytes between the
// sockets and a Service, with a bound on what waits to be sent to each client.
#pragma once

#include "net/address.hpp"
#include "net/tls.hpp"

#include "log/log.hpp"
#include "loop/loop.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::sockkit {

class Server;

/// Who is at the other end of a connection.
struct Peer {
    std::uint64_t id = 0;              ///< 1, 2, ... in the order of acceptance, in the process
    std::optional<net::PeerCred> cred; ///< Unix sockets only (SO_PEERCRED)
    std::string address;               ///< "uid 1000 gid 1000 pid 42" or "127.0.0.1:5555"
};

/// What a connection does when its client reads too slowly and more than the queue limit
/// waits to be sent.
enum class Overflow {
    pause,      ///< stop reading it until the queue drains (a request-reply protocol)
    disconnect, ///< drop it with a reason (a broadcast, which must not wait for anyone)
};

/// A connection's state that belongs to its Service.
struct ConnState {
    virtual ~ConnState() = default;
};

/// One accepted connection.  Lives until libuv has closed its handle.
class Conn {
public:
    const Peer& peer() const { return peer_; }
    /// Queues data for the client (encrypting it under TLS), writing at once what the socket
    /// takes.  May drop the connection (Overflow::disconnect); check open() after.
    void send(std::string_view data);
    /// Sends what is queued, then closes.
    void close_after_send();
    /// Closes now, logging reason; the Service's closed() runs first.
    void drop(std::string_view reason);
    /// Bytes waiting to be sent.
    std::size_t queued() const { return out_.size() + writing_.size() - written_; }
    bool open() const { return !closing_; }
    /// Stops or resumes reading (a Service waiting for its output to drain).
    void pause_reading(bool pause);
    /// The loop's clock, in milliseconds.
    std::uint64_t now() const;

    std::unique_ptr<ConnState> state;

private:
    friend class Server;
    explicit Conn(Server& s) : server_(s) {}
    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    void start();
    /// Hands out_ to the socket: what it takes at once (unless try_now is false: it has just
    /// refused), then the rest through a libuv write.
    void flush(bool try_now = true);
    /// Hands the socket what it takes of data at once, without waiting: how many bytes, or
    /// -1 having dropped the connection.
    ssize_t try_write(std::string_view data);
    void update_reading();
    void close_handle(std::string_view reason);
    void deliver(std::string_view plain);
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_); }

    Server& server_;
    Peer peer_;
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } handle_{};
    std::unique_ptr<net::TlsSession> tls_;
    std::string out_;     ///< bytes for the socket, not yet handed to it
    std::string writing_; ///< the bytes of the write in flight, from written_ on
    std::size_t written_ = 0; ///< the first bytes of writing_, which the socket took before
    uv_write_t wreq_{};
    bool write_pending_ = false;
    bool paused_by_service_ = false;
    bool paused_by_queue_ = false;
    bool reading_ = false;
    bool close_after_send_ = false;
    bool closing_ = false;
    bool notified_ = false;
};

/// What a protocol does with connections.  Every callback runs on the loop.
class Service {
public:
    virtual ~Service() = default;
    /// Refuses a connection before opened() with a line to send it, or accepts it (nullopt).
    virtual std::optional<std::string> admit(const Peer&) { return std::nullopt; }
    virtual void opened(Conn&) {}
    /// Bytes from the client (decrypted).
    virtual void received(Conn& c, std::string_view data) = 0;
    /// Everything queued has been handed to the socket.
    virtual void drained(Conn&) {}
    /// The connection is going (EOF, error, drop or stop); reason: why, empty at a plain EOF.
    virtual void closed(Conn&, std::string_view /*reason*/) {}
    /// Every ServerConfig::tick_ms, with the loop's clock in milliseconds.
    virtual void tick(std::uint64_t /*now_ms*/) {}
};

struct ServerConfig {
    const net::TlsContext* tls = nullptr;
    std::size_t max_queue = std::size_t{1} << 20;
    Overflow overflow = Overflow::pause;
    /// With Overflow::pause: stop reading from a client as soon as its socket takes no more,
    /// rather than when max_queue bytes wait.  For echo, where each byte read is one to send
    /// back: the bytes then wait in the kernel's socket buffers instead of being copied into
    /// the server's queue (a fifth of its CPU time over a Unix socket).
    bool pause_when_full = false;
    std::uint64_t tick_ms = 0; ///< how often Service::tick runs (0: never)
};

class Server {
public:
    /// Serves the listening socket on loop for service; does not take the listener (the
    /// caller removes its socket file after the loop ends).
    Server(loop::Loop& loop, const net::Listener& listener, bool unix_socket, Service& service, ServerConfig config,
           log::Logger& logger);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Starts accepting; false with error set when libuv refuses the socket.
    bool start(std::string& error);
    /// Stops accepting and closes every connection.
    void stop();
    /// Every open connection, in the order of acceptance.
    const std::vector<Conn*>& connections() const { return conns_; }
    log::Logger& logger() { return logger_; }
    const ServerConfig& config() const { return config_; }
    Service& service() { return service_; }

private:
    friend class Conn;
    static void on_connection(uv_stream_t* listener, int status);
    void remove(Conn* c);

    uv_loop_t* loop_;
    int fd_;
    bool unix_;
    Service& service_;
    ServerConfig config_;
    log::Logger& logger_;
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } listener_{};
    bool listening_ = false;
    int closing_ = 0; ///< handles closed whose callback has not run yet
    std::vector<Conn*> conns_;
    /// Where every connection's reads go: 256 KiB, so that a bulk client's bytes take few
    /// reads (the loop hands each to its Service at once).
    std::string scratch_ = std::string(256 * 1024, '\0');
};

} // namespace syskit::sockkit

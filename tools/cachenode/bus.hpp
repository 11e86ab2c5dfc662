// bus: the cluster bus of a cachenode in --cluster mode: a listener on the bus port and one
// connection to every known peer, on a thread of its own with its own libuv loop.  Every
// node pings every peer (node timeout / 4, at most once a second) and answers pings with
// pongs; both carry the sender's slots and epochs and gossip about the nodes it knows, which
// is how a cluster joined by CLUSTER MEET learns its members and who owns what.  A peer
// silent past the node timeout is suspected (PFAIL).  Frames that do not decode or
// authenticate (bus_proto.hpp) close their connection and are logged; the node goes on.
// A suspected node becomes FAIL once a majority of the masters serving slots report it
// silent in their gossip, and the node that sees the majority tells everyone (FAIL message).
//
// Replication (repl.hpp) rides on the same connections: a replica sends SYNC on its connection
// to its master and gets the copy and the stream back on it, acknowledging as it applies.
// When a master is FAIL, its replicas wait a delay that grows with their rank (the replica
// with the most of the stream goes first), then ask the masters for their votes in a new
// epoch; the one that a majority of the masters serving slots votes for takes the slots over
// with that epoch as its config epoch, and the others (the old master too, when it is back)
// see the higher epoch claim them and follow it.
#pragma once

#include "bus_proto.hpp"
#include "cluster.hpp"

#include "log/log.hpp"
#include "net/tls.hpp"

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <thread>

namespace syskit::cachenode::cluster {

class Bus {
public:
    /// bind: the address the listener binds (the RESP listener's).
    Bus(State& state, std::string bind, std::string secret, log::Logger& logger);
    ~Bus();
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    /// Binds the bus port and starts the bus thread.  False with error ("ADDR: why").
    bool start(std::string& error);
    /// Stops the thread (closing every connection) and waits for it; callable once.
    void stop();

private:
    struct Link;
    /// Where to reach a node, copied out of the State for use after its lock.
    struct Peer {
        std::string id, ip;
        std::uint16_t cport;
    };

    void run();
    void cron();
    void connect(const Peer& n);
    /// Sends a message of type to l; about: the failed node of a FAIL, the stream id of a SYNC.
    void send(Link& l, MsgType type, const std::string& about = {}, std::uint16_t mflags = 0);
    /// Sends a replication message (FULL, STREAM, ACK) to l.
    void send_data(Link& l, MsgType type, std::string_view about, std::uint64_t offset, std::string_view data,
                   std::uint16_t mflags = 0);
    /// Queues frame on l's connection (encrypted, with TLS; held until the handshake ends).
    void write(Link& l, std::string frame);
    /// Queues bytes on l's socket as they are.
    void write_raw(Link& l, std::string bytes);
    /// With TLS: starts l's session, as the end side is; a connecting end sends its hello.
    void start_tls(Link& l, net::TlsSession::Side side);
    /// With TLS: takes cipher from the peer into l.in, sends what the session answers and,
    /// once the handshake is over, the frames held for it.  False when l was closed (a failed
    /// handshake, a TLS error).
    bool decrypt(Link& l, std::string_view cipher);
    /// A master: sends each attached replica the stream it has not had yet.
    void flush_feeds();
    /// A master: l's sender asks for the stream from m's offset.
    void start_feed(Link& l, const Message& m);
    /// A replica: replication data from its master.
    void on_data(Link& l, const Message& m);
    /// A replica: syncs with its master, acknowledges, runs its elections.
    void replica_cron(std::int64_t now);
    /// Whether this master votes for requester's election (m: its AUTH_REQUEST); under
    /// st_.mu_.  Records the vote.
    bool may_vote_locked(Node& requester, const Message& m, std::int64_t now);
    /// Promotes this replica when its election has a majority of the votes; under st_.mu_.
    void win_if_elected_locked();
    /// Sends a PONG on every connection when this node's role or slots changed.
    void announce();
    /// Flags n FAIL when it is PFAIL here and a majority of the masters that serve slots
    /// (counting this node, if a master) reported it silent; under st_.mu_.  Whether it did.
    bool fail_if_agreed(Node& n, std::int64_t now);
    /// Tells every node we are connected to that id failed.
    void broadcast_fail(const std::string& id);
    void close(Link& l, std::string_view why = {});
    void on_frames(Link& l);
    void handle(Link& l, const Message& m);
    Message message_locked(MsgType type, const Node* to) const;
    static void on_connection(uv_stream_t* server, int status);
    static void on_connected(uv_connect_t* req, int status);
    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);

    State& st_;
    std::string bind_;
    std::string secret_;
    log::Logger& log_;
    uv_loop_t loop_{};
    uv_tcp_t listener_{};
    uv_timer_t timer_{};
    uv_async_t stop_async_{};
    uv_async_t feed_async_{}; ///< the command threads fed the stream
    Link* master_link_ = nullptr; ///< a replica: the connection its master's stream comes on
    std::uint64_t acked_ = 0;     ///< a replica: the offset it last acknowledged
    std::int64_t acked_at_ = 0;
    std::int64_t sync_sent_ = 0;  ///< a replica: when it last sent SYNC
    std::map<Link*, std::unique_ptr<Link>> links_;
    std::map<std::string, Link*> out_; ///< node id -> the connection this node opened to it
    std::thread thread_;
    bool started_ = false;
};

} // namespace syskit::cachenode::cluster

// bus: the cluster bus of a cachenode in --cluster mode: a listener on the bus port and one
// connection to every known peer, on a thread of its own with its own libuv loop.  Every
// node pings every peer (node timeout / 4, at most once a second) and answers pings with
// pongs; both carry the sender's slots and epochs and gossip about the nodes it knows, which
// is how a cluster joined by CLUSTER MEET learns its members and who owns what.  A peer
// silent past the node timeout is suspected (PFAIL).  Frames that do not decode or
// authenticate (bus_proto.hpp) close their connection and are logged; the node goes on.
// A suspected node becomes FAIL once a majority of the masters serving slots report it
// silent in their gossip, and the node that sees the majority tells everyone (FAIL message).
#pragma once

#include "bus_proto.hpp"
#include "cluster.hpp"

#include "log/log.hpp"

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
    /// Sends a message of type to l; about: the failed node of a FAIL.
    void send(Link& l, MsgType type, const std::string& about = {});
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
    std::map<Link*, std::unique_ptr<Link>> links_;
    std::map<std::string, Link*> out_; ///< node id -> the connection this node opened to it
    std::thread thread_;
    bool started_ = false;
};

} // namespace syskit::cachenode::cluster

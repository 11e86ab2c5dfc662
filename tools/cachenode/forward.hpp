// forward: the HTTP API on any node of a cluster.  A request for a key this node does not serve
// goes, as one RESP command, to the node that does, over a connection each event loop keeps
// open per peer and pipelines its requests on (the book's forwarding, with its pool).
//
// The book's forwarding re-sends the HTTP request and counts on a header to stop loops.  Here a
// forwarded request arrives over RESP, where a node never forwards: it runs the command or
// answers -MOVED or -ASK.  Only the node the client reached follows those, to at most max_hops
// nodes a round; a slot still moving then (a migration's moment when its nodes disagree) gets
// a few more rounds after short waits (retry_waits_ms), and then a 503, never a loop.  The forwarding
// connections name themselves "http-forward" (CLIENT LIST on the owner shows them): the hop is
// marked.  With TLS between nodes (peer_tls(), auth.hpp) the links are TLS, the peer's
// certificate checked against the cluster's CA, and requests wait for the handshake to end.
#pragma once

#include "cluster.hpp"
#include "config.hpp"

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::cachenode {

/// How many nodes one round of an HTTP request may be sent to before the slot counts as moving.
constexpr int max_hops = 3;
/// The waits (ms) before each new round of a request whose slot is moving (redirections beyond
/// max_hops, or TRYAGAIN): a slot's owners disagree for a moment while it migrates, and Redis
/// Cluster clients back off and retry then too.  After the last, a 503: 750 ms at most.
constexpr std::array<unsigned, 4> retry_waits_ms{50, 100, 200, 400};

/// A key operation of the HTTP API.
struct KeyOp {
    enum class Kind { get, set, del } kind;
    std::string_view key;
    std::string_view value;  ///< set's value
    std::int64_t ttl_ms = 0; ///< set's TTL; 0: none
};

/// What a forwarded operation came to.
struct Forwarded {
    enum class Outcome {
        value,   ///< get found it: value
        missing, ///< get or del found no key
        done,    ///< set or del did it
        failed,  ///< status and message say why
        here,    ///< a redirection led back to this node, which serves the key now: the caller
                 ///< runs it on the store
    } outcome = Outcome::failed;
    std::string value;
    int status = 0;      ///< failed: 503 when the slot's node is down or moving, 507 or 502 else
    std::string message; ///< failed: why, with the slot and the node
    std::string node;    ///< the node that answered (or was last tried), "ip:port"
    int hops = 0;        ///< how many nodes it was sent to
};

/// One operation being forwarded.
class Forwarding {
public:
    virtual ~Forwarding() = default;
    /// Whether result() holds the outcome.
    virtual bool finished() const = 0;
    virtual const Forwarded& result() const = 0;
    /// The owner will not look at it again: on_done is not called.
    virtual void cancel() = 0;
};

/// Where op runs: here (null: the caller runs it on the store), or, when cluster says another
/// node serves its key's slot, there: the forwarding in flight on loop (this thread's), which
/// calls on_done on this thread once finished() (not when it is finished at once, without
/// asking a peer: a slot no node serves, a node the cluster flags as failing).  Each peer's
/// reply is awaited for the node timeout, at most 2 s.  With cfg.password set, peers get it with
/// AUTH (a cluster's nodes share it).
std::shared_ptr<Forwarding> forward(cluster::State& cluster, const Config& cfg, uv_loop_t* loop, const KeyOp& op,
                                    std::function<void()> on_done);

/// Closes loop's forwarding links (as the loop stops); forwarding on it fails from then on.
void close_forwarding(uv_loop_t* loop);

} // namespace syskit::cachenode

// cluster: a cachenode as a Redis Cluster node: who owns which of the 16384 slots, the epochs
// that settle conflicting claims, the slots being moved between nodes, the routing of each
// command (-MOVED, -ASK, -CROSSSLOT, -CLUSTERDOWN), the CLUSTER command, and the nodes file that
// keeps all of it across restarts.
//
// A change is written to the nodes file (write, fsync, rename) by the bus thread within 100 ms,
// one write for all the changes of that time (a reshard changes slots thousands of times a
// second); CLUSTER SAVECONFIG writes at once.
//
// One State per process, shared by every event loop and the bus thread; a mutex guards it.
// The one thing each command asks, "is this slot mine to serve?", reads a per-slot atomic byte
// instead, so a cluster node serving its own keys takes no lock of the cluster's.
#pragma once

#include "cluster_config.hpp"
#include "repl.hpp"
#include "slots.hpp"

#include <array>
#include <atomic>
#include <bitset>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode {
class Store;
}

namespace syskit::cachenode::cluster {

/// Node ids: 40 lowercase hex digits, as Redis's.
constexpr std::size_t id_len = 40;

/// A random node id (getrandom(2)).
std::string new_id();

/// The flags of a node as CLUSTER NODES lists them.
enum Flag : std::uint16_t {
    f_master = 1,
    f_replica = 2,
    f_pfail = 4,
    f_fail = 8,
    f_handshake = 16,
    f_noaddr = 32,
    f_meet = 64,   ///< handshake started by CLUSTER MEET: the first message is a MEET
    f_nofailover = 128,
};

struct Node {
    std::string id;
    std::string ip;
    std::uint16_t port = 0, cport = 0;
    std::uint16_t flags = f_master;
    std::string master_id;          ///< a replica's master; empty for a master
    std::uint64_t config_epoch = 0;
    std::int64_t ping_sent = 0;     ///< ms since the epoch; 0: no ping waiting for its pong
    std::int64_t pong_received = 0; ///< ms since the epoch
    std::int64_t created = 0;       ///< ms since the epoch (a handshake gives up after a while)
    bool link_up = false;           ///< the bus has a connection to it
    std::uint64_t repl_offset = 0;
    std::int64_t fail_time = 0; ///< when it was flagged FAIL (ms since the epoch)
    std::int64_t voted_time = 0; ///< a master: when this node last voted for one of its replicas
    bool paused = false;         ///< its writes are paused for a manual failover (its last ping said)
    /// Masters that told us, in gossip, that they find this node silent: id -> when.
    std::map<std::string, std::int64_t, std::less<>> fail_reports;
};

/// What a RESP connection carries for the cluster: ASKING (for its next command) and READONLY.
struct ClientFlags {
    bool asking = false;
    bool readonly = false;
};

/// A command's keys as the routing sees them: Redis's first, last and step key positions.
struct KeySpec {
    int first = 0, last = 0, step = 0;
    std::string_view flags; ///< Redis's command flags: "write" among them for a write
};

class State {
public:
    /// myself's address: ip (the bind address, or learnt from the bus when that is a wildcard)
    /// and the RESP port.
    State(const ClusterConfig& cfg, std::string ip, std::uint16_t port, Store& store);
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    /// Reads the nodes file, or when there is none becomes a new node with a new id and
    /// writes it.  False with error ("FILE: why") when it cannot be read, parsed or written.
    bool load(std::string& error);

    /// Whether this node serves slot at once: it owns it, nothing is moving it, and the
    /// cluster is up.  Lock-free.
    bool serves(unsigned slot) const { return local_[slot].load(std::memory_order_relaxed) != 0; }

    /// Routes a command: true when it may run here; false with the reply (MOVED, ASK,
    /// CROSSSLOT, TRYAGAIN, CLUSTERDOWN) appended to out.  Consumes the client's ASKING.
    bool route(std::span<const std::string_view> argv, const KeySpec& keys, ClientFlags& client, std::string& out);

    /// CLUSTER with its subcommand, argv[0] being "CLUSTER": the reply is appended to out.
    /// argv[1] is one of the CLUSTER subcommands of commands.cpp's table, with the number of
    /// arguments the table allows (execute() refuses the others before this runs).
    void command(std::span<const std::string_view> argv, std::string& out);

    /// INFO's "# Cluster" section, without its trailing blank line.
    std::string info_section() const;
    /// INFO's "# Replication" section, without its trailing blank line.
    std::string replication_section() const;
    /// ROLE's reply.
    void role(std::string& out) const;
    /// WAIT numreplicas timeout, argv[0] being "WAIT": blocks this thread until enough replicas
    /// acknowledged the stream or the timeout passed (repl.hpp), 10 seconds at most.
    void wait(std::span<const std::string_view> argv, std::string& out);
    /// The replication stream and backlog of this node.
    Replication& repl() { return repl_; }
    /// Prometheus text of the replication metrics: this node's offset and each replica's lag
    /// (cluster_metrics() in cluster_view.hpp gives the slots and peers).
    std::string metrics() const;

    std::string myself_id() const;
    std::uint16_t bus_port() const { return bus_port_; }

    /// CLUSTER NODES's text (the nodes file's lines too).
    std::string nodes_text() const;

    /// A node as the HTTP API's forwarding sees it.
    struct PeerView {
        std::string id;
        std::string addr;     ///< its RESP listener, "ip:port"
        bool myself = false;
        bool failing = false; ///< flagged PFAIL or FAIL
    };
    /// The node that owns slot; nullopt when none does.
    std::optional<PeerView> owner_of(unsigned slot) const;
    /// The node whose RESP listener is addr ("ip:port"); nullopt when none is.
    std::optional<PeerView> node_at(std::string_view addr) const;

    /// A node as GET /cluster and the metrics show it.
    struct NodeView {
        std::string id, ip, master_id;
        std::uint16_t port = 0, cport = 0, flags = 0;
        bool myself = false, link_up = false;
        std::int64_t pong_received = 0; ///< ms since the epoch; 0: never
        std::uint64_t config_epoch = 0;
        std::vector<std::pair<unsigned, unsigned>> slots; ///< the ranges it owns
        /// The slots it is moving, with the other node's id (this node's only).
        std::vector<std::pair<unsigned, std::string>> migrating, importing;
    };
    /// Every node this node knows, itself included, in CLUSTER NODES's order.
    std::vector<NodeView> view() const;

    /// The slots a master claims in its pings and pongs: bit s set, it serves slot s.
    using SlotBits = std::array<std::uint8_t, slot_count / 8>;
    /// What a master's claim changed here (take_claims).
    struct ClaimTaken {
        bool moved = false;        ///< some slot is the claimant's now
        bool lost_mine = false;    ///< one of them was this node's
        bool lost_masters = false; ///< one of them was this replica's master's
    };
    /// A master's claim, as its pings and pongs carry it: sender serves the slots set in
    /// claimed, with config epoch epoch.  A slot becomes sender's when nobody owns it, when its
    /// owner no longer claims it, or when its owner's config epoch is older; a slot this node
    /// imports stays as it is, for the tool moving it to close.  A slot recorded as sender's
    /// that it no longer claims (CLUSTER DELSLOTS, a slot handed on by SETSLOT NODE) stays
    /// sender's here, so that the cluster does not go down for it meanwhile, but the next claim
    /// of anyone takes it, whatever its epoch.  Unknown senders and myself change nothing.
    ClaimTaken take_claims(std::string_view sender, std::uint64_t epoch, const SlotBits& claimed);

private:
    friend class Bus;

    using NodeMap = std::map<std::string, std::unique_ptr<Node>, std::less<>>;
    /// Removes a node, and every slot's reference to it; the next one.
    NodeMap::iterator remove_locked(NodeMap::iterator it);
    void cmd_meet(std::span<const std::string_view> argv, std::string& out);
    void cmd_forget(std::span<const std::string_view> argv, std::string& out);

    ClaimTaken take_claims_locked(Node& sender, std::uint64_t epoch, const SlotBits& claimed);
    /// Makes n the owner of slot (nullptr: none), which it claims.
    void set_owner(unsigned slot, Node* n) {
        owner_[slot] = n;
        unclaimed_.reset(slot);
    }

    Node& me() { return *nodes_.at(myself_); }
    const Node& me() const { return *nodes_.at(myself_); }
    Node* find(std::string_view id);
    std::string nodes_text_locked(bool for_file) const;
    /// n's line of CLUSTER NODES, without its newline.
    std::string node_line_locked(const Node& n, bool for_file) const;
    /// Recomputes local_ and the cluster's state after a change; marks the config to save.
    void changed();
    void update_state();
    /// The nodes file's text.
    std::string file_text_locked() const;
    /// Writes the nodes file now, under mu_ (the bus saves outside it: write_file).
    bool save_locked(std::string& error);
    /// Writes text as the nodes file: a temporary file, fsync, rename, fsync of the directory.
    bool write_file(const std::string& text, std::string& error);
    bool parse_file(std::string_view text, std::string& error);
    std::uint64_t keys_in_slot(unsigned slot) const;
    std::vector<std::string> keys_of_slot(unsigned slot, std::size_t max) const;
    std::string addr(const Node& n) const;

    void cmd_info(std::string& out) const;
    void cmd_slots(std::string& out) const;
    void cmd_shards(std::string& out) const;
    void cmd_addslots(std::span<const std::string_view> argv, bool range, bool add, std::string& out);
    void cmd_setslot(std::span<const std::string_view> argv, std::string& out);
    /// Gives this node a config epoch above every other (unless it has the highest already,
    /// alone): what a node taking slots over without an election does.  Whether it changed.
    bool bump_epoch();
    void cmd_reset(std::span<const std::string_view> argv, std::string& out);
    void cmd_replicate(std::span<const std::string_view> argv, std::string& out);
    void cmd_replicas(std::span<const std::string_view> argv, std::string& out);
    void cmd_failover(std::span<const std::string_view> argv, std::string& out);
    /// A replica becomes the master of its master's slots with config epoch epoch; under mu_.
    void promote_locked(std::uint64_t epoch);
    /// Makes this node a replica of master; under mu_.
    void follow_locked(Node& master);
    /// The masters that serve slots: the electorate of FAIL reports and elections.
    std::size_t voters_locked() const;

    const ClusterConfig& cfg_;
    Store& store_;
    std::uint16_t bus_port_;
    std::string init_ip_;
    std::uint16_t init_port_;

    mutable std::mutex mu_;
    std::mutex save_mu_; ///< one writer of the nodes file at a time
    NodeMap nodes_;
    /// Nodes CLUSTER FORGET removed, with when gossip may bring them back (ms since the epoch).
    std::map<std::string, std::int64_t, std::less<>> forgotten_;
    std::string myself_;
    std::uint64_t current_epoch_ = 0;
    std::uint64_t last_vote_epoch_ = 0;
    std::array<Node*, slot_count> owner_{};
    /// Slots whose owner (a peer) has stopped claiming them: any claim takes them.
    std::bitset<slot_count> unclaimed_;
    std::array<Node*, slot_count> migrating_{};
    std::array<Node*, slot_count> importing_{};
    bool ok_ = false;
    bool dirty_ = false; ///< the nodes file is behind
    std::uint64_t sent_ = 0, received_ = 0;
    std::unique_ptr<std::atomic<std::uint8_t>[]> local_;
    std::atomic<bool> replica_{false}; ///< this node is a replica (route() reads it without the lock)
    Replication repl_;

    /// An election this replica runs for its failed master's slots (bus.cpp).
    struct Election {
        std::int64_t start = 0;    ///< when to ask for votes (0: none planned)
        std::uint64_t epoch = 0;   ///< the epoch asked for (0: not asked yet)
        std::int64_t asked = 0;    ///< when the votes were asked for
        bool force = false;        ///< CLUSTER FAILOVER: the master need not be failed
        std::vector<std::string> votes;
    } election_;
    /// CLUSTER FAILOVER without FORCE on this replica: the master is asked to pause, then the
    /// election starts once this replica has all of the master's stream.
    std::int64_t manual_until_ = 0;
    bool announce_ = false; ///< this node's role or slots changed: the bus tells every node now
    /// A replica: the link to its master is synced, and when the master last sent anything.
    std::atomic<bool> master_link_up_{false};
    std::atomic<std::int64_t> master_last_io_{0};
    /// This master pauses its writes until then (a replica's manual failover); writes wait.
    std::atomic<std::int64_t> paused_until_{0};
    std::condition_variable unpaused_;
};

} // namespace syskit::cachenode::cluster

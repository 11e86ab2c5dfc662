// repl: the replication of a cluster master's writes to its replicas.  A master appends every
// write command it runs, as RESP, to its stream; the stream's bytes are numbered from the
// master's birth (the replication offset), and the last --repl-backlog-size of them are kept in
// the backlog.  A replica attaching to a master asks for the stream from where it stands (SYNC
// on the bus, bus.hpp): inside the backlog it gets the rest of the stream; otherwise, or under
// another stream id, a full copy of the keys at an offset, then the stream from there.  A
// replica acknowledges how far it has applied the stream, which is what WAIT counts.
//
// A transaction (EXEC) goes into the stream as MULTI, its writes and EXEC, and a replica runs
// only whole units: a command, or a transaction once its EXEC has come, which it applies with
// every shard locked.  Its offset counts what it applied, so a replica never stands inside a
// transaction, whether it is promoted or syncs again.
//
// A replica keeps the stream it applied in a backlog of its own, and a promoted replica keeps
// its master's stream id as a second id, valid up to the offset where it took over (Redis's
// PSYNC2): the other replicas of the failed master continue the stream from the new master
// instead of copying every key again.
//
// Every write command, on every thread, runs under the write mutex and appends to the stream
// under it, so the stream orders writes as the store applied them, and a copy taken under the
// same mutex stands exactly at one offset.  The bus thread reads the stream and the copy; the
// command threads append and WAIT.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode {
class Store;
}

namespace syskit::cachenode::cluster {

class Replication {
public:
    /// How far a replica acknowledged the stream, and when (ms since the epoch).
    struct Ack {
        std::uint64_t offset = 0;
        std::int64_t at = 0;
    };

    /// backlog: how many bytes of the stream a master keeps for replicas to catch up from.
    Replication(Store& store, std::size_t backlog);
    Replication(const Replication&) = delete;
    Replication& operator=(const Replication&) = delete;

    /// The stream's id (40 hex digits): new when a node starts and when a replica is promoted.
    std::string replid() const;
    /// The end of the stream: how many bytes a master wrote to it, or a replica applied.
    std::uint64_t offset() const;
    std::size_t backlog_size() const { return cap_; }
    /// The offset of the backlog's first byte and how many bytes it holds (0, 0: no replica
    /// attached yet, so no backlog is kept).
    std::pair<std::uint64_t, std::uint64_t> backlog() const;

    // ---- A master, on the command threads.

    /// Held around each write command (and EXEC): see above.  Recursive: EXEC runs its writes
    /// under its own hold.
    std::recursive_mutex& write_mutex() { return write_mu_; }
    /// Appends the write command argv (ran, with a reply that is an error when !ok) to the
    /// stream, under write_mutex().  MIGRATE goes as a DEL of the keys it moved.  Nothing
    /// while no replica has ever attached.
    void feed(std::span<const std::string_view> argv, bool ok);
    /// WAIT: blocks until n replicas acknowledged the stream up to its current end, or for
    /// timeout_ms; returns how many did.
    std::size_t wait(std::size_t n, std::int64_t timeout_ms);

    // ---- A master, on the bus thread.

    /// EXEC, from before its first command runs to after its last, under write_mutex(): the
    /// writes fed meanwhile reach the replicas as one unit, between MULTI and EXEC (nothing when
    /// the transaction wrote nothing).
    class Transaction {
    public:
        explicit Transaction(Replication& r) : r_(r) { r_.in_transaction_ = true; }
        ~Transaction();
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;

    private:
        Replication& r_;
    };

    /// The commands of one read from a client (RespSession::on_data), on its thread: the bus is
    /// woken once, after the last of them, for all they fed, rather than once per write (WAIT
    /// wakes it before it waits).  Nests; the state is per thread, as there is one Replication
    /// per process.
    class Batch {
    public:
        explicit Batch(Replication& r);
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

    private:
        Replication& r_;
    };

    /// Called after each feed() that added bytes (a transaction's: once, at its end; a Batch's:
    /// once, at its end): the bus sends them.
    void on_feed(std::function<void()> f) { wake_ = std::move(f); }
    /// A copy of every key (records of key, TTL and DUMP payload) and the offset it stands at,
    /// taken under write_mutex().  Starts the backlog.
    std::string copy(std::uint64_t& offset);
    /// Whether a replica that has the stream replid up to offset can continue from the backlog:
    /// replid is this node's stream, or the one it continued as a promoted replica up to where
    /// it took over.  Counts the partial syncs it allows (copy() counts the full ones).
    bool can_continue(std::string_view replid, std::uint64_t offset);
    /// Up to max bytes of the stream from from, appended to out; false when from is no longer
    /// (or not yet) in the backlog.
    bool read(std::uint64_t from, std::size_t max, std::string& out) const;
    /// Replica node acknowledged the stream up to offset.
    void ack(const std::string& node, std::uint64_t offset);
    /// Replica node is no longer attached.
    void detach(const std::string& node);
    /// The attached replicas and how far each acknowledged.
    std::map<std::string, Ack> replicas() const;
    /// The second stream id (all zeros when there is none) and the offset up to which it is
    /// valid, as INFO's master_replid2 and second_repl_offset show them (-1: none).
    std::pair<std::string, std::int64_t> second_id() const;
    /// How many replicas this node fed from a full copy, and how many continued the stream.
    std::pair<std::uint64_t, std::uint64_t> syncs() const;

    // ---- A replica, on the bus thread.

    /// Runs stream bytes as commands; returns how many bytes it consumed (whole commands).
    void on_apply(std::function<std::size_t(std::string_view)> f) { exec_ = std::move(f); }
    /// Replaces every key by the copy's (copy()'s format) and continues the stream replid at
    /// offset.  False with error when the copy is malformed.
    bool load(std::string_view copy, std::string_view replid, std::uint64_t offset, std::string& error);
    /// Receives stream bytes starting at offset at and runs the whole units among them (see
    /// above); false when at is neither where the bytes received so far end (the same link
    /// goes on) nor offset() (a link that starts again: what came after offset() is dropped),
    /// and the replica then syncs again.  replid, when not empty, is the master's stream id,
    /// which this replica takes (the master's first message when it continues the stream).
    bool apply(std::uint64_t at, std::string_view bytes, std::string_view replid = {});
    /// The replica becomes a master: a new stream id, the old one kept as the second id up to
    /// its offset, the backlog of what it applied kept for its master's other replicas.
    void promote();
    /// The node dropped every key (CLUSTER RESET of a replica): a new stream id with nothing
    /// to continue from, its offset kept.
    void restart();

private:
    Store& store_;
    std::size_t cap_;
    std::recursive_mutex write_mu_;
    mutable std::mutex mu_;
    std::condition_variable acked_;
    std::string replid_;
    std::uint64_t end_ = 0;
    /// A backlog is kept (a replica attached once); read without mu_ by feed(), so that a master
    /// without replicas pays one load per write.
    std::atomic<bool> active_{false};
    std::string buf_;         ///< the backlog: bytes [start_, end_) of the stream
    std::uint64_t start_ = 0;
    std::string replid2_;     ///< the stream this node continued as a replica before its promotion
    std::uint64_t offset2_ = 0; ///< where replid2_ ends: its offset at the promotion
    std::uint64_t full_syncs_ = 0, partial_syncs_ = 0;
    std::map<std::string, Ack> acks_;
    /// A replica's stream bytes received after offset(): the unit not whole yet.  The commands
    /// in its first scanned_ bytes have been looked at; scan_in_multi_: the last of them is
    /// inside a transaction.
    std::string pending_;
    std::size_t scanned_ = 0;
    bool scan_in_multi_ = false;
    /// An EXEC runs (under write_mu_), and whether it wrote MULTI to the stream yet.
    bool in_transaction_ = false;
    bool multi_fed_ = false;
    std::function<void()> wake_;
    std::function<std::size_t(std::string_view)> exec_;

    /// Appends argv to the backlog under mu_ (MIGRATE as the DEL of the keys it moved); whether
    /// it appended anything.
    bool append_locked(std::span<const std::string_view> argv, bool ok);
    /// Calls wake_ now, or at the end of this thread's Batch.
    void wake();
    /// Drops the backlog's oldest bytes beyond twice its size; under mu_.
    void trim_locked();
    /// Forgets the stream bytes received and not applied; under mu_.
    void drop_pending_locked();
};

} // namespace syskit::cachenode::cluster

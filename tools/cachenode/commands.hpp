// commands: the Redis commands cachenode answers (in RESP2, or RESP3 after HELLO 3), and the
// per-connection session that parses requests (resp.hpp), runs them against the store and
// writes the replies.
#pragma once

#include "auth.hpp"
#include "cluster.hpp"
#include "config.hpp"
#include "net/tcp.hpp"
#include "resp.hpp"
#include "stats.hpp"
#include "store.hpp"

#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <span>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode {

class RespSession;

/// One SLOWLOG entry.
struct SlowEntry {
    std::uint64_t id;
    std::int64_t time_s; ///< Unix time it ran
    std::uint64_t usec;
    std::vector<std::string> args; ///< shortened as Redis shortens them
    std::string addr, name;
};

/// The commands slower than slowlog-log-slower-than, newest first.
struct SlowLog {
    std::mutex mu;
    std::deque<SlowEntry> entries;
    std::uint64_t next_id = 0;
};

/// LATENCY's record of the "command" event: commands slower than latency-monitor-threshold.
struct LatencyEvent {
    std::mutex mu;
    std::int64_t latest_time_s = 0; ///< 0: none since the last LATENCY RESET
    std::uint64_t latest_ms = 0, max_ms = 0;
};

/// Every RESP session that has a connection, for CLIENT LIST and CLIENT KILL.
struct ClientRegistry {
    std::mutex mu;
    std::unordered_map<std::uint64_t, RespSession*> all;
};

/// What every session of every thread shares.
struct Shared {
    Store& store;
    const Config& cfg;
    Stats& stats;
    const Auth& auth;
    /// client-output-buffer-limit for normal clients; CONFIG SET changes it.
    net::OutputLimits output_limits;
    /// CLIENT ID's source.
    std::atomic<std::uint64_t> next_client_id{1};
    /// Redis Cluster mode's state; null without --cluster.
    cluster::State* cluster = nullptr;
    ClientRegistry clients{};
    SlowLog slowlog{};
    LatencyEvent latency{};
    // Settings of the commands' own that CONFIG SET changes (Redis's names and defaults).
    std::atomic<std::int64_t> slowlog_slower_than{10000}; ///< microseconds; negative: off
    std::atomic<std::uint64_t> slowlog_max_len{128};
    std::atomic<std::uint64_t> latency_threshold_ms{0}; ///< 0: off
    /// CONFIG SET proto-max-bulk-len and client-query-buffer-limit: the largest argument and
    /// the largest request an authenticated client may send from then on (0: not set, the
    /// command line's limits hold).
    std::atomic<std::size_t> max_bulk{0}, max_request{0};
    /// The wall clock minus the store's, in ms, as deadlines are converted between them
    /// (EXPIREAT, EXPIRETIME); no_offset until first needed.
    static constexpr std::int64_t no_offset = std::numeric_limits<std::int64_t>::min();
    std::atomic<std::int64_t> wall_offset{no_offset};
    /// CLIENT PAUSE: until when (monotonic milliseconds) which commands wait.
    enum class Pause { none, write, all };
    struct {
        std::mutex mu; ///< held to change end and mode together
        std::atomic<std::int64_t> end_ms{0};
        std::atomic<Pause> mode{Pause::none};
    } pause{};
    /// Whether a CLIENT PAUSE (WRITE or ALL) is under way: the expiry thread then deletes
    /// nothing, as Redis keeps the dataset still while clients are paused.
    bool paused() const {
        return pause.mode.load(std::memory_order_relaxed) != Pause::none &&
               monotonic_ms() < pause.end_ms.load(std::memory_order_relaxed);
    }
};

/// What a connection is to CLIENT and HELLO.
struct ClientState {
    std::uint64_t id = 0;
    std::string name;
    enum class Reply { on, off, skip } reply = Reply::on;
    cluster::ClientFlags cluster{}; ///< ASKING and READONLY
    /// The replication stream from this node's master (repl.hpp): neither routed nor refused
    /// over the memory limit, and not fed to a stream of this node's own.
    bool master = false;
    int resp = 2; ///< the protocol version HELLO chose
};

/// How much reply one on_data produces before it stops and waits for the client to read
/// (net::ServerOptions::max_pending_output, which pauses reading at the same mark).
constexpr std::size_t output_pause = std::size_t{1} << 20;

/// Requests a client sends before AUTH may be this large, and no larger (Redis's limits).
constexpr resp::ParseLimits unauthenticated_limits{10, 16 * 1024, 16 * 1024};

/// The limits on requests from an authenticated client.
resp::ParseLimits request_limits(const Config& cfg);
/// The same, with those CONFIG SET changed since.
resp::ParseLimits request_limits(const Shared& sh);

class RespSession final : public net::Session {
public:
    RespSession(Shared& shared, WorkerStats& stats);
    ~RespSession() override;
    RespSession(const RespSession&) = delete;
    RespSession& operator=(const RespSession&) = delete;
    void connected(std::string_view peer, std::string_view local) override;
    bool killed() const override { return kill_.load(std::memory_order_relaxed); }
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override;
    bool stalled() const override { return stalled_; }
    void attached(uv_loop_t* loop, std::function<void()> resume) override;

    /// Runs one request; sets quit when the connection is to close after the reply.
    void execute(std::span<const std::string_view> argv, std::string& out, bool& quit);

    /// This client's CLIENT LIST line (without the newline); another thread may ask, holding
    /// the registry's lock.
    std::string describe() const;
    std::uint64_t id() const { return client_.id; }
    const std::string& peer() const { return addr_; }
    const std::string& local() const { return laddr_; }
    /// Makes this session the one that runs the replication stream from this node's master.
    void replication_link() {
        client_.master = authed_ = true;
        parser_.set_limits(request_limits(sh_));
    }
    /// CLIENT KILL: the connection closes within a second, or at its next request.
    void kill() { kill_.store(true, std::memory_order_relaxed); }

private:
    Shared& sh_;
    WorkerStats& ws_;
    resp::Parser parser_;
    std::vector<std::string_view> argv_;
    std::string error_;
    bool authed_;
    bool stalled_ = false;
    // CLIENT PAUSE: a command that must wait stays unread; a timer on the connection's loop
    // gives it to on_data again (null loop: the session is driven without one, in tests).
    uv_loop_t* loop_ = nullptr;
    std::function<void()> resume_;
    uv_timer_t* pause_timer_ = nullptr;
    /// Whether argv must wait for a CLIENT PAUSE to end.
    bool held(std::span<const std::string_view> argv) const;
    void wait_for_unpause();
    ClientState client_;
    bool skip_next_ = false; ///< CLIENT REPLY SKIP: drop the next command's reply
    // Seen by CLIENT LIST from other threads: written by this session's thread, name under
    // the registry's lock, the rest atomically.
    std::string addr_, laddr_, listed_name_;
    std::int64_t created_ms_;              ///< monotonic
    std::atomic<std::int64_t> last_ms_;    ///< monotonic: the last read that brought requests
    std::atomic<int> last_command_{-1}; ///< position in the command table
    std::atomic<int> multi_count_{-1};  ///< queued commands in MULTI, -1 outside
    std::atomic<int> listed_resp_{2};
    std::atomic<bool> kill_{false};
    bool registered_ = false;
    bool queued_now_ = false; ///< the command execute() runs was queued in MULTI
    /// When the last command ended, or the read that brought the next one came (on_data).
    std::chrono::steady_clock::time_point clock_{};
    /// The command name last found in the command table, as the client spelled it, and its
    /// position there (-1: none yet).
    std::string last_name_;
    int last_index_ = -1;
    /// Whether the command named (lower case) is refused while the store is over its limit
    /// (see execute()).
    bool oom_refused(std::string_view name) const;
    /// Records one command's time in the per-command counters, SLOWLOG and LATENCY.
    void account(int command, std::span<const std::string_view> argv, std::chrono::steady_clock::duration took,
                 bool ok);

    /// MULTI ... EXEC: the queued commands, and whether one was refused (EXECABORT).
    bool in_multi_ = false;
    bool multi_dirty_ = false;
    std::vector<std::vector<std::string>> queued_;
    /// WATCH: each key as it was when watched; EXEC runs only if every one is the same.
    struct Watched {
        std::string key;
        bool found;
        std::uint64_t value_hash;
        std::size_t value_len;
        std::int64_t expire_at;
    };
    std::vector<Watched> watched_;
    Watched snapshot(std::string_view key);
    /// Runs MULTI, EXEC, DISCARD, WATCH and UNWATCH, and queues commands inside MULTI; false
    /// when argv is none of that, for execute() to run.
    bool transaction(std::string_view name, std::span<const std::string_view> argv, std::string& out,
                     bool& quit);
};

/// The INFO text for the given sections, lower case, each section once (none, "default": all
/// but commandstats; "all", "everything": every section).
std::string info_text(const Shared& sh, std::span<const std::string> sections);

} // namespace syskit::cachenode

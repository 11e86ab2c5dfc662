// stats: what cachenode counts (operations by protocol, command and result, connections, a
// latency histogram) per event-loop thread, and the /metrics page and INFO numbers made from
// it and the store's own counters.
#pragma once

#include "config.hpp"
#include "net/tcp.hpp"
#include "metrics/metrics.hpp"
#include "store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode {

enum class Proto : unsigned { resp, http };
constexpr unsigned proto_count = 2;

/// Operations, across both protocols (HTTP's GET /get and GET /v1/keys/K are "get").
enum class Op : unsigned {
    ping, echo, get, set, del, exists, expire, pexpire, persist, ttl, pttl, mget, mset, incr, incrby, decr,
    decrby, append, strlen, dbsize, flushall, info, auth, select, quit, command, config, other, unknown,
    metrics, healthz, bad_request,
};
constexpr unsigned op_count = static_cast<unsigned>(Op::bad_request) + 1;
std::string_view op_name(Op op);

/// Redis's INFO commandstats figures for one command of the RESP command table.
struct CommandCounters {
    metrics::Counter calls;    ///< run (with or without an error)
    metrics::Counter usec;     ///< microseconds spent running
    metrics::Counter rejected; ///< refused before running (arity, NOAUTH, OOM, in a bad MULTI)
    metrics::Counter failed;   ///< ran and answered an error
};
/// Room for the RESP command table (commands.cpp checks that it fits).
constexpr std::size_t max_commands = 128;

/// One event loop's counters: written by its thread only.
struct WorkerStats {
    WorkerStats();
    void record(Proto p, Op op, bool ok) {
        ops[static_cast<unsigned>(p)][static_cast<unsigned>(op)][ok ? 0 : 1].add();
    }
    /// n requests that one read brought, all answered `took` after it.
    void answered(std::uint64_t n, std::chrono::steady_clock::duration took) {
        latency.observe(std::chrono::duration<double>(took).count(), n);
    }
    void connection(Proto p, bool accepted) {
        connections[static_cast<unsigned>(p)][accepted ? 0 : 1].add();
    }

    std::array<std::array<std::array<metrics::Counter, 2>, op_count>, proto_count> ops; ///< [proto][op][ok, error]
    std::array<std::array<metrics::Counter, 2>, proto_count> connections; ///< [proto][accepted, rejected]
    metrics::Histogram latency; ///< seconds per operation, from the read that brought it to its reply
    std::array<CommandCounters, max_commands> commands; ///< by position in the command table
};

/// What one command's counters add up to over the threads, since the last CONFIG RESETSTAT.
struct CommandTotals {
    std::uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
};

/// Raises the soft limit on open files towards the hard one, to what clients connections on
/// threads loops need, and sets fit to how many clients it then allows (clients at most).
/// False with error set when getrlimit fails or not even one client would fit.
bool descriptors_for(std::uint64_t clients, unsigned threads, std::uint64_t& fit, std::string& error);

/// Everything the INFO command and /metrics report.
class Stats {
public:
    Stats(const Config& cfg, Store& store);
    /// A new thread's counters, alive as long as this.
    WorkerStats& add_worker();

    std::atomic<std::uint64_t> clients{0};
    /// maxclients and timeout, as CONFIG SET changes them (from --max-clients and
    /// --idle-timeout at start).
    net::LiveLimits limits;

    std::uint64_t commands_processed() const;
    std::uint64_t connections(bool accepted) const;
    /// The counters of command i of the command table.
    CommandTotals command(std::size_t i) const;
    /// The store's counters (hits, misses, evictions, expired) since the last reset_stats().
    StoreStats store_stats() const;
    /// CONFIG RESETSTAT: the counters INFO shows start again from zero.  The threads' own
    /// counters are left alone (each is written by one thread only); what they held now
    /// becomes the base the figures are taken from.
    void reset_stats();
    std::uint64_t uptime_s() const;
    /// The /metrics page, Prometheus text format.
    std::string prometheus() const;

private:
    const Config& cfg_;
    Store& store_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<WorkerStats>> workers_;
    std::uint64_t raw_commands_processed() const;
    std::uint64_t raw_connections(bool accepted) const;
    CommandTotals raw_command(std::size_t i) const;
    mutable std::mutex base_mu_;
    std::uint64_t base_processed_ = 0, base_accepted_ = 0, base_rejected_ = 0;
    std::array<CommandTotals, max_commands> base_commands_{};
    StoreStats base_store_;
};

/// Resident set size of this process in bytes, from /proc/self/statm; 0 if unreadable.
std::size_t resident_bytes();

} // namespace syskit::cachenode

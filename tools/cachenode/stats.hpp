// stats: what cachenode counts (operations by protocol, command and result, connections, a
// latency histogram) per event-loop thread, and the /metrics page and INFO numbers made from
// it and the store's own counters.
#pragma once

#include "config.hpp"
#include "metrics/metrics.hpp"
#include "store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
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
};

/// Everything the INFO command and /metrics report.
class Stats {
public:
    Stats(const Config& cfg, Store& store);
    /// A new thread's counters, alive as long as this.
    WorkerStats& add_worker();

    std::atomic<std::uint64_t> clients{0};

    std::uint64_t commands_processed() const;
    std::uint64_t connections(bool accepted) const;
    std::uint64_t uptime_s() const;
    /// The /metrics page, Prometheus text format.
    std::string prometheus() const;

private:
    const Config& cfg_;
    Store& store_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<WorkerStats>> workers_;
};

/// Resident set size of this process in bytes, from /proc/self/statm; 0 if unreadable.
std::size_t resident_bytes();

} // namespace syskit::cachenode

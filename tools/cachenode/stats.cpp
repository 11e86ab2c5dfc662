#include "stats.hpp"

#include "fs/fd.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace syskit::cachenode {

namespace {

constexpr std::array<std::string_view, op_count> op_names{
    "ping", "echo", "get", "set", "del", "exists", "expire", "pexpire", "persist", "ttl", "pttl", "mget", "mset",
    "incr", "incrby", "decr", "decrby", "append", "strlen", "dbsize", "flushall", "info", "auth", "select", "quit",
    "command", "config", "other", "unknown", "metrics", "healthz", "bad_request",
};

// From 10 µs to 1 s: a cache answers in microseconds; the top buckets catch stalls.
constexpr std::array<double, 12> latency_bounds{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                                0.001,   0.0025,   0.005,   0.01,   0.1,     1.0};

constexpr std::array<std::string_view, proto_count> proto_names{"resp", "http"};

} // namespace

std::string_view op_name(Op op) { return op_names[static_cast<unsigned>(op)]; }

WorkerStats::WorkerStats() : latency(latency_bounds) {}

bool descriptors_for(std::uint64_t clients, unsigned threads, std::uint64_t& fit, std::string& error) {
    // Descriptors that are not clients: each loop's epoll, eventfd and listening sockets (two
    // per protocol: ours and libuv's), the reserve kept for EMFILE, standard streams, the log,
    // and a margin as Redis keeps one.
    std::uint64_t reserved = 32 + 6 * std::uint64_t{std::max(1u, threads)};
    std::uint64_t want = clients + reserved;
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        error = std::string("getrlimit: ") + std::strerror(errno);
        return false;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(rl.rlim_max, want);
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) {
        fit = clients;
        return true;
    }
    if (rl.rlim_cur <= reserved) {
        error = fmt::format("the open files limit ({}) leaves no room for clients; at least {} are needed "
                            "(ulimit -n)",
                            rl.rlim_cur, reserved + 1);
        return false;
    }
    fit = rl.rlim_cur - reserved;
    return true;
}

Stats::Stats(const Config& cfg, Store& store) : cfg_(cfg), store_(store) {
    limits.max_clients.store(cfg.max_clients);
    limits.idle_timeout_ms.store(cfg.idle_timeout_s * 1000);
}

WorkerStats& Stats::add_worker() {
    workers_.push_back(std::make_unique<WorkerStats>());
    return *workers_.back();
}

std::uint64_t Stats::commands_processed() const {
    std::lock_guard lock(base_mu_);
    return raw_commands_processed() - base_processed_;
}

std::uint64_t Stats::connections(bool accepted) const {
    std::lock_guard lock(base_mu_);
    return raw_connections(accepted) - (accepted ? base_accepted_ : base_rejected_);
}

CommandTotals Stats::command(std::size_t i) const {
    std::lock_guard lock(base_mu_);
    CommandTotals t = raw_command(i);
    const CommandTotals& b = base_commands_[i];
    return {t.calls - b.calls, t.usec - b.usec, t.rejected - b.rejected, t.failed - b.failed};
}

StoreStats Stats::store_stats() const {
    StoreStats st = store_.stats();
    std::lock_guard lock(base_mu_);
    st.hits -= base_store_.hits;
    st.misses -= base_store_.misses;
    st.evictions -= base_store_.evictions;
    st.expired -= base_store_.expired;
    return st;
}

void Stats::reset_stats() {
    std::lock_guard lock(base_mu_);
    base_processed_ = raw_commands_processed();
    base_accepted_ = raw_connections(true);
    base_rejected_ = raw_connections(false);
    for (std::size_t i = 0; i < max_commands; ++i)
        base_commands_[i] = raw_command(i);
    base_store_ = store_.stats();
}

CommandTotals Stats::raw_command(std::size_t i) const {
    CommandTotals t;
    for (const auto& w : workers_) {
        const CommandCounters& c = w->commands[i];
        t.calls += c.calls.value();
        t.usec += c.usec.value();
        t.rejected += c.rejected.value();
        t.failed += c.failed.value();
    }
    return t;
}

std::uint64_t Stats::raw_commands_processed() const {
    std::uint64_t n = 0;
    for (const auto& w : workers_)
        for (const auto& op : w->ops[static_cast<unsigned>(Proto::resp)])
            n += op[0].value() + op[1].value();
    return n;
}

std::uint64_t Stats::raw_connections(bool accepted) const {
    std::uint64_t n = 0;
    for (const auto& w : workers_)
        for (const auto& p : w->connections)
            n += p[accepted ? 0 : 1].value();
    return n;
}

std::uint64_t Stats::uptime_s() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count());
}

std::string Stats::prometheus() const {
    metrics::Writer w;
    w.family("cachenode_operations_total", "Operations by protocol, command and result.", "counter");
    for (unsigned p = 0; p < proto_count; ++p)
        for (unsigned op = 0; op < op_count; ++op)
            for (unsigned r = 0; r < 2; ++r) {
                std::uint64_t n = 0;
                for (const auto& wk : workers_)
                    n += wk->ops[p][op][r].value();
                if (n)
                    w.sample("cachenode_operations_total",
                             {{"protocol", proto_names[p]}, {"command", op_names[op]}, {"result", r ? "error" : "ok"}},
                             n);
            }
    StoreStats st = store_.stats();
    w.family("cachenode_keyspace_hits_total", "Lookups that found their key.", "counter")
        .sample("cachenode_keyspace_hits_total", {}, st.hits);
    w.family("cachenode_keyspace_misses_total", "Lookups that did not find their key.", "counter")
        .sample("cachenode_keyspace_misses_total", {}, st.misses);
    w.family("cachenode_evictions_total", "Keys evicted to make room.", "counter")
        .sample("cachenode_evictions_total", {{"policy", policy_name(cfg_.store.policy)}}, st.evictions);
    w.family("cachenode_expirations_total", "Keys deleted because their TTL ended.", "counter")
        .sample("cachenode_expirations_total", {}, st.expired);
    w.family("cachenode_keys", "Keys stored.", "gauge").sample("cachenode_keys", {}, st.keys);
    w.family("cachenode_keys_with_ttl", "Keys stored that have a TTL.", "gauge")
        .sample("cachenode_keys_with_ttl", {}, st.keys_with_ttl);
    w.family("cachenode_memory_used_bytes", "Bytes held by entries and tables, as the limit counts them.", "gauge")
        .sample("cachenode_memory_used_bytes", {}, std::uint64_t{st.used});
    w.family("cachenode_memory_limit_bytes", "The memory limit (--max-memory).", "gauge")
        .sample("cachenode_memory_limit_bytes", {}, std::uint64_t{st.limit});
    w.family("cachenode_resident_memory_bytes", "Resident set size of the process.", "gauge")
        .sample("cachenode_resident_memory_bytes", {}, std::uint64_t{resident_bytes()});
    w.family("cachenode_connected_clients", "Open client connections, both protocols.", "gauge")
        .sample("cachenode_connected_clients", {}, clients.load(std::memory_order_relaxed));
    w.family("cachenode_connections_total", "Connections accepted, and rejected over --max-clients.", "counter");
    for (unsigned p = 0; p < proto_count; ++p)
        for (unsigned r = 0; r < 2; ++r) {
            std::uint64_t n = 0;
            for (const auto& wk : workers_)
                n += wk->connections[p][r].value();
            w.sample("cachenode_connections_total", {{"protocol", proto_names[p]}, {"result", r ? "rejected" : "accepted"}},
                     n);
        }
    metrics::Histogram::Snapshot lat;
    for (const auto& wk : workers_)
        lat.merge(wk->latency.snapshot());
    if (lat.counts.empty())
        lat = metrics::Histogram(latency_bounds).snapshot();
    w.family("cachenode_operation_duration_seconds",
             "Time from the read that brought a request to its reply, ready to send.", "histogram")
        .histogram("cachenode_operation_duration_seconds", {}, lat);
    w.family("cachenode_uptime_seconds", "Seconds since the start.", "gauge")
        .sample("cachenode_uptime_seconds", {}, uptime_s());
    return w.str();
}

std::size_t resident_bytes() {
    std::string statm;
    if (!fs::read_file("/proc/self/statm", statm, 128))
        return 0;
    unsigned long size = 0, resident = 0;
    if (std::sscanf(statm.c_str(), "%lu %lu", &size, &resident) != 2)
        return 0;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

} // namespace syskit::cachenode

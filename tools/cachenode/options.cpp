#include "options.hpp"

#include "eviction.hpp"

#include "cli/jobs.hpp"
#include "cli/log_format.hpp"
#include "cli/size.hpp"
#include "cli/values.hpp"

#include <CLI/CLI.hpp>

#include <arpa/inet.h>

#include <fmt/format.h>

namespace syskit::cachenode {

namespace {

/// A default size in the largest unit that divides it, as --max-memory reads it: "256M".
std::string size_text(std::size_t bytes) {
    const char* units[] = {"", "K", "M", "G"};
    unsigned u = 0;
    while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++u;
    }
    return fmt::format("{}{}", bytes, units[u]);
}

/// Parses a size option given as text into out, when it was given.
std::optional<cli::Problem> size_of(const char* name, const std::optional<std::string>& text, std::size_t min,
                                    std::size_t max, std::size_t& out) {
    if (!text)
        return std::nullopt;
    auto v = cli::parse_size(*text);
    if (!v)
        return cli::Problem{name, cli::not_a_size(*text)};
    if (*v < min || *v > max)
        return cli::Problem{name, fmt::format("'{}' is out of range ({} to {} bytes)", *text, min, max)};
    out = static_cast<std::size_t>(*v);
    return std::nullopt;
}

} // namespace

void add_options(CLI::App& app, Options& o) {
    const Config d; // the defaults, which the help text names
    auto& c = o.cfg;
    auto& r = o.raw;
    app.add_option("--bind", c.bind, fmt::format("Address both listeners bind (default: {})", d.bind))
        ->type_name("ADDR");
    app.add_option("-p,--port", c.port, fmt::format("RESP port, 0 for none (default: {})", d.port))
        ->type_name("PORT")
        ->check(CLI::Range(0, 65535).description(""));
    app.add_option("--http-port", c.http_port, fmt::format("HTTP port, 0 for none (default: {})", d.http_port))
        ->type_name("PORT")
        ->check(CLI::Range(0, 65535).description(""));
    // -j/--jobs as in every tool; -t/--threads, its first names, still taken.
    app.add_option("-j,--jobs,-t,--threads", c.threads, "Event loops, one thread each (default: one per CPU)")
        ->type_name("N")
        ->check(CLI::Range(1u, 256u).description(""));
    app.add_option("--max-memory", r.max_memory,
                   fmt::format("Memory for keys and values (default: {})", size_text(d.store.max_memory)))
        ->type_name("SIZE");
    app.add_option("--eviction", r.eviction,
                   fmt::format("Eviction policy: sieve, s3fifo, lru, noeviction (default: {})",
                               policy_name(d.store.policy)))
        ->option_text("sieve|s3fifo|lru|noeviction");
    app.add_option("--max-key", r.max_key, fmt::format("Largest key (default: {})", size_text(d.max_key)))
        ->type_name("SIZE");
    app.add_option("--max-value", r.max_value,
                   fmt::format("Largest value (default: {})", size_text(d.store.max_value)))
        ->type_name("SIZE");
    app.add_option("--max-request", r.max_request,
                   fmt::format("Largest request (default: {})", size_text(d.max_request)))
        ->type_name("SIZE");
    app.add_option("--max-clients", c.max_clients,
                   fmt::format("Open connections allowed (default: {})", d.max_clients))
        ->type_name("N")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000}).description(""));
    app.add_option("--idle-timeout", c.idle_timeout_s,
                   fmt::format("Close connections idle this long, 0 never (default: {})", d.idle_timeout_s))
        ->type_name("SECONDS")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{31536000}).description(""));
    app.add_option("--shutdown-timeout", c.shutdown_timeout_s,
                   fmt::format("On SIGTERM, wait this long for replies to be read before closing "
                               "connections (default: {})",
                               d.shutdown_timeout_s))
        ->type_name("SECONDS")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{3600}).description(""));
    app.add_option("--busy-poll", c.busy_poll_us,
                   fmt::format("Under load, poll instead of sleeping until this long passes without a request, "
                               "0 never (default: {})",
                               d.busy_poll_us))
        ->type_name("MICROSECONDS")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1000000}).description(""));
    auto* pass_opt = app.add_option("--requirepass", c.password, "Password for AUTH and HTTP Bearer tokens")
                         ->type_name("PASSWORD");
    app.add_option("--token-file", o.token_file, "Read the password from FILE (not visible in ps)")
        ->type_name("FILE")
        ->excludes(pass_opt);
    auto* cert_opt = app.add_option("--tls-cert", c.tls_cert, "TLS certificate chain (PEM) for both listeners")
                         ->type_name("FILE");
    auto* key_opt = app.add_option("--tls-key", c.tls_key, "TLS private key (PEM)")->type_name("FILE");
    cert_opt->needs(key_opt);
    key_opt->needs(cert_opt);
    cli::add_log_format(app, c.log_format);
    app.add_option("--log-file", c.log_file, "Log to FILE instead of standard error; SIGHUP reopens it")
        ->type_name("FILE");
    // Redis Cluster mode (cluster.hpp).
    auto *cluster_opt =
        app.add_flag("--cluster", c.cluster.enabled, "Run as a Redis Cluster node (see CLUSTER in cachenode(1))");
    app.add_option("--cluster-config-file", c.cluster.config_file,
                   fmt::format("The cluster's nodes file, kept by cachenode (default: {})", d.cluster.config_file))
        ->type_name("FILE")
        ->needs(cluster_opt);
    app.add_option("--cluster-port", c.cluster.bus_port, "Cluster bus port (default: the RESP port + 10000)")
        ->type_name("PORT")
        ->needs(cluster_opt);
    app.add_option("--cluster-node-timeout", c.cluster.node_timeout_ms,
                   fmt::format("Milliseconds of silence before a peer is suspected (default: {})",
                               d.cluster.node_timeout_ms))
        ->type_name("MS")
        ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{3600000}).description(""))
        ->needs(cluster_opt);
    app.add_option("--cluster-secret-file", c.cluster.secret_file,
                   "Authenticate the cluster bus with the secret in FILE (the same on every node)")
        ->type_name("FILE")
        ->needs(cluster_opt);
    app.add_option("--repl-backlog-size", r.repl_backlog,
                   fmt::format("Bytes of writes a master keeps for its replicas to catch up from "
                               "(default: {})",
                               size_text(d.cluster.repl_backlog)))
        ->type_name("SIZE")
        ->needs(cluster_opt);
    // TLS between a cluster's nodes (auth.hpp's peer_tls()).
    app.add_option("--tls-ca-cert", c.tls_ca_cert,
                   "CA certificates (PEM) that signed the cluster's nodes' certificates; a TLS cluster node "
                   "needs it")
        ->type_name("FILE")
        ->needs(cert_opt)
        ->needs(cluster_opt);
    app.add_flag("--check-config", o.check_config, "Check the options, certificate and token file, then exit");
}

std::optional<cli::Problem> finish(Options& o) {
    auto& c = o.cfg;
    auto& r = o.raw;
    constexpr std::size_t max_value_limit = std::size_t{512} << 20;
    if (auto p = size_of("--max-memory", r.max_memory, std::size_t{1} << 20, std::size_t{1} << 50, c.store.max_memory))
        return p;
    if (auto p = size_of("--max-key", r.max_key, 1, Entry::max_key, c.max_key))
        return p;
    if (auto p = size_of("--max-value", r.max_value, 1, max_value_limit, c.store.max_value))
        return p;
    if (auto p = size_of("--repl-backlog-size", r.repl_backlog, 1024, std::size_t{1} << 34, c.cluster.repl_backlog))
        return p;
    if (auto p = size_of("--max-request", r.max_request, 1024, std::size_t{1} << 31, c.max_request))
        return p;
    if (c.max_request < c.store.max_value + c.max_key)
        return cli::Problem{"--max-request",
                            "must be at least --max-value plus --max-key, or the largest SET cannot arrive"};
    if (r.eviction) {
        auto policy = parse_policy(*r.eviction);
        if (!policy)
            return cli::Problem{"--eviction",
                                fmt::format("unknown policy '{}' (sieve, s3fifo, lru, noeviction)", *r.eviction)};
        c.store.policy = *policy;
    }
    in6_addr addr{};
    if (inet_pton(AF_INET, c.bind.c_str(), &addr) != 1 && inet_pton(AF_INET6, c.bind.c_str(), &addr) != 1)
        return cli::Problem{"--bind", fmt::format("'{}' is not an IPv4 or IPv6 address", c.bind)};
    if (c.port == 0 && c.http_port == 0)
        return cli::Problem{"--port", "both listeners are off (--port 0 --http-port 0)"};
    if (c.port != 0 && c.port == c.http_port)
        return cli::Problem{"--http-port", fmt::format("the RESP listener has port {} already", c.port)};
    if (c.cluster.enabled && c.port == 0)
        return cli::Problem{"--cluster", "a cluster node needs its RESP port (--port is 0)"};
    if (c.cluster.enabled && !c.cluster.bus_port && c.port > 65535 - 10000)
        return cli::Problem{"--port", fmt::format("{} + 10000 is not a port: give --cluster-port", c.port)};
    if (c.cluster.enabled && (c.cluster.bus_port == c.port || c.cluster.bus_port == c.http_port) && c.cluster.bus_port)
        return cli::Problem{"--cluster-port", fmt::format("port {} is taken by another listener", c.cluster.bus_port)};
    if (c.cluster.enabled && !c.tls_cert.empty() && c.tls_ca_cert.empty())
        return cli::Problem{"--tls-ca-cert", "a cluster node with TLS checks its peers' certificates: give the CA "
                                             "that signed them"};
    if (c.threads == 0)
        c.threads = cli::cpu_count();
    return std::nullopt;
}

} // namespace syskit::cachenode

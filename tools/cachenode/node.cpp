#include "node.hpp"

#include "auth.hpp"
#include "bus.hpp"
#include "commands.hpp"
#include "expire.hpp"
#include "http_api.hpp"
#include "server.hpp"
#include "stats.hpp"
#include "store.hpp"

#include "cli/diag.hpp"
#include "svc/svc.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <csignal>

namespace syskit::cachenode {

std::string address(const Config& cfg, std::uint16_t port) {
    return port ? net::Endpoint{cfg.bind, port}.str() : "off";
}

bool fit_descriptors(Config& cfg, log::Logger& logger, std::string& error) {
    std::uint64_t fit = 0;
    if (!descriptors_for(cfg.max_clients, cfg.threads, fit, error))
        return false;
    if (fit < cfg.max_clients) {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        logger.warn("max-clients reduced to fit the open files limit",
                    {{"requested", cfg.max_clients}, {"max_clients", fit}, {"open_files_limit", std::uint64_t{rl.rlim_cur}}});
        cfg.max_clients = fit;
    }
    return true;
}

int serve(const Config& cfg, const net::TlsContext* tls, log::Logger& logger) {
    // A client that disconnects must cost an EPIPE on write, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Held until the first event loop watches them (server.cpp), so that a stop signal sent as
    // soon as the port answers is handled, not fatal; threads started from here on keep them
    // blocked, leaving them to that loop's thread.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&stop_signals, sig);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    StoreConfig store_cfg = cfg.store;
    store_cfg.slot_index = cfg.cluster.enabled;
    Store store(store_cfg);
    Stats stats(cfg, store);
    Auth auth(cfg.password);
    Shared shared{store, cfg, stats, auth, {}, {1}};
    ExpiryThread expiry(store, std::chrono::milliseconds(100), [&shared] { return shared.paused(); });
    std::unique_ptr<cluster::State> cluster_state;
    if (cfg.cluster.enabled) {
        // Bound to a wildcard, the node learns its address from the first peer that reaches it.
        bool wildcard = cfg.bind == "0.0.0.0" || cfg.bind == "::";
        cluster_state = std::make_unique<cluster::State>(cfg.cluster, wildcard ? "" : cfg.bind, cfg.port, store);
        std::string err;
        if (!cluster_state->load(err)) {
            cli::error("--cluster-config-file", err);
            return cli::exit_trouble;
        }
        shared.cluster = cluster_state.get();
        logger.info("cluster node", {{"id", cluster_state->myself_id()}, {"nodes_file", cfg.cluster.config_file}});
    }

    std::vector<Protocol> protocols;
    if (cfg.port)
        protocols.push_back({Proto::resp, cfg.port,
                             [&shared](WorkerStats& ws) { return std::make_unique<RespSession>(shared, ws); },
                             "-ERR max number of clients reached\r\n", &shared.output_limits, {}});
    if (cfg.http_port)
        protocols.push_back({Proto::http, cfg.http_port,
                             [&shared](WorkerStats& ws) { return std::make_unique<HttpSession>(shared, ws); },
                             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
                             "28\r\nConnection: close\r\n\r\nmax number of clients reached\n",
                             nullptr, close_forwarding});
    Server server(cfg, stats, tls, std::move(protocols));
    std::string why;
    if (!server.listen(why)) {
        cli::error(why.substr(0, why.find(": ")), why.substr(why.find(": ") + 2));
        return cli::exit_trouble;
    }
    // A replica runs its master's stream (repl.hpp) as a client of its own, on the bus thread.
    WorkerStats stream_stats;
    RespSession from_master(shared, stream_stats);
    from_master.replication_link();
    std::unique_ptr<cluster::Bus> bus;
    if (cluster_state) {
        cluster_state->repl().on_apply([&from_master](std::string_view in) {
            std::size_t done = 0;
            std::string replies;
            while (done < in.size()) {
                std::size_t used = 0;
                replies.clear();
                from_master.on_data(in.substr(done), used, replies);
                if (used == 0)
                    break;
                done += used;
            }
            return done;
        });
        bus = std::make_unique<cluster::Bus>(*cluster_state, cfg.bind, cfg.cluster.secret, logger);
        if (!bus->start(why)) {
            cli::error(why.substr(0, why.find(": ")), why.substr(why.find(": ") + 2));
            return cli::exit_trouble;
        }
    }
    std::string resp_addr = address(cfg, cfg.port), http_addr = address(cfg, cfg.http_port);
    logger.info("listening", {{"resp", resp_addr},
                              {"http", http_addr},
                              {"tls", tls != nullptr},
                              {"threads", std::uint64_t{cfg.threads}},
                              {"max_memory", std::uint64_t{cfg.store.max_memory}},
                              {"eviction", policy_name(cfg.store.policy)},
                              {"shards", std::uint64_t{store.shard_count()}}});
    if (int err = svc::notify(fmt::format("READY=1\nSTATUS=serving RESP on {}, HTTP on {}\nMAINPID={}", resp_addr,
                                          http_addr, ::getpid())))
        logger.error("cannot notify systemd", {{"error", std::strerror(err)}});

    ServerHooks hooks;
    hooks.on_stop_signal = [&] {
        svc::notify("STOPPING=1");
        logger.info("stopping", {{"clients", stats.clients.load()}});
    };
    hooks.on_hangup = [&] {
        std::string err;
        if (logger.reopen(err))
            logger.info("log reopened");
        else
            cli::error(cfg.log_file, "cannot reopen the log: " + err);
    };
    server.run(std::move(hooks));
    if (bus)
        bus->stop();
    logger.info("stopped", {{"keys", store.size()}, {"commands", stats.commands_processed()}});
    return server.failed() ? cli::exit_trouble : cli::exit_ok;
}

} // namespace syskit::cachenode

// config: cachenode's settings, from the command line (options.hpp), read by every module.
#pragma once

#include "cluster_config.hpp"
#include "log/log.hpp"
#include "store.hpp"

#include <cstdint>
#include <string>

namespace syskit::cachenode {

struct Config {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 6380;      ///< RESP; 0: no RESP listener
    std::uint16_t http_port = 8080; ///< 0: no HTTP listener
    unsigned threads = 0;           ///< 0: one per CPU this process may run on (finish() decides)
    /// --max-memory, --eviction and --max-value, with the store's own defaults.
    StoreConfig store;
    std::size_t max_key = 64 * 1024;
    std::size_t max_request = 16 << 20;
    std::uint64_t max_clients = 10000;
    std::uint64_t idle_timeout_s = 300; ///< 0: never
    std::uint64_t shutdown_timeout_s = 10; ///< after a stop signal, connections still sending are closed
    std::uint64_t busy_poll_us = 10;    ///< 0: a loop sleeps as soon as it has nothing to do
    std::string password;               ///< empty: no authentication
    std::string tls_cert, tls_key;
    std::string tls_ca_cert; ///< --tls-ca-cert: the CA a cluster's nodes check each other against
    log::Format log_format = log::Format::logfmt;
    std::string log_file; ///< empty: standard error
    ClusterConfig cluster; ///< Redis Cluster mode (cluster.hpp)
};

} // namespace syskit::cachenode

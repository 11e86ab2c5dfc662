// cluster_config: the settings of Redis Cluster mode (--cluster and the options beside it).
#pragma once

#include <cstdint>
#include <string>

namespace syskit::cachenode {

struct ClusterConfig {
    bool enabled = false;                  ///< --cluster; off: a single node, no routing at all
    std::string config_file = "nodes.conf"; ///< the nodes file: identity, epochs, slots, peers
    std::uint16_t bus_port = 0;            ///< 0: the RESP port + 10000
    std::uint64_t node_timeout_ms = 15000; ///< silence after which a peer is suspected (PFAIL)
    std::string secret_file;               ///< --cluster-secret-file; empty: the bus is unauthenticated
    std::string secret;                    ///< its contents, read by main() after finish()
    std::size_t repl_backlog = 1 << 20;    ///< --repl-backlog-size: bytes of the stream kept for replicas
};

} // namespace syskit::cachenode

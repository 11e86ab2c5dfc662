// cluster_view: a cluster node's view of its cluster for HTTP users: GET /cluster's JSON and
// the cluster's metrics on /metrics, both read from CLUSTER INFO and State::view().
#pragma once

#include "cluster.hpp"

#include <string>

namespace syskit::cachenode {

/// GET /cluster's body, one JSON object on one line: the cluster's state, slot counts and
/// epoch, and each node with its id, address, role, master, state (ok, pfail, fail,
/// handshake), link, config epoch, slot ranges and slots being moved (syskit(7)'s JSON
/// vocabulary: counts are numbers, times RFC 3339 in UTC).
std::string cluster_json(cluster::State& cluster);

/// The cluster's metrics in the Prometheus text format: its state, its slots by state, its
/// nodes by role and state, this node's slots and epochs.
std::string cluster_metrics(cluster::State& cluster);

} // namespace syskit::cachenode

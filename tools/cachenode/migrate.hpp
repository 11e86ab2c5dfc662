// migrate: moving keys between cachenodes: MIGRATE on the sending node and RESTORE-ASKING on
// the receiving one (RESTORE, let through as after ASKING in cluster mode), as redis-cli
// --cluster reshard, rebalance and del-node drive them, and between standalone cachenodes.
//
// A key travels as DUMP's payload (dump.hpp) and its TTL in milliseconds; as the payload is
// cachenode's own, the target is asked INFO first and must be a cachenode.  With TLS between
// cluster nodes (peer_tls(), auth.hpp) the connection to the target is TLS, its certificate
// checked against the cluster's CA; without --cluster it is plain TCP, as Redis's MIGRATE is
// unless its cluster traffic uses TLS.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace syskit::cachenode {
class Store;
}

namespace syskit::cachenode::cluster {

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key ...]: checks with INFO that host:port is a cachenode,
/// then sends it the keys that exist with RESTORE-ASKING, in one pipeline, and deletes those it
/// took (unless COPY).
/// Blocks the calling loop for at most timeout ms per step, as Redis's does.  Appends the
/// reply: +OK, +NOKEY, or an error.
void migrate(Store& store, std::span<const std::string_view> argv, std::string& out);

} // namespace syskit::cachenode::cluster

// migrate: moving keys between cachenodes: MIGRATE on the sending node and RESTORE-ASKING on
// the receiving one (RESTORE, let through as after ASKING), as redis-cli --cluster reshard, rebalance and del-node drive them.
//
// A key travels as DUMP's payload (dump.hpp) and its TTL in milliseconds.  With TLS between nodes
// (peer_tls(), auth.hpp) the connection to the target is TLS, its certificate checked against
// the cluster's CA.
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
/// [AUTH2 username password] [KEYS key ...]: sends the keys that exist to the cachenode at
/// host:port with RESTORE-ASKING, in one pipeline, and deletes those it took (unless COPY).
/// Blocks the calling loop for at most timeout ms per step, as Redis's does.  Appends the
/// reply: +OK, +NOKEY, or an error.
void migrate(Store& store, std::span<const std::string_view> argv, std::string& out);

} // namespace syskit::cachenode::cluster

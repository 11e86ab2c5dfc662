// migrate: moving keys between cachenodes: MIGRATE on the sending node and RESTORE-ASKING on
// the receiving one, as redis-cli --cluster reshard, rebalance and del-node drive them.
//
// A key travels as its value in a transfer payload of this module (value_payload below) and
// its TTL in milliseconds.  Both ends are cachenodes, so the format is ours; it is kept behind
// these two functions so that it can become the DUMP/RESTORE codec once cachenode has one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace syskit::cachenode {
class Store;
}

namespace syskit::cachenode::cluster {

/// The payload a value travels in: "CNV1", the value, and an XXH3 checksum of both.
std::string value_payload(std::string_view value);
/// The value in payload; false when it is not one (wrong tag, length or checksum).
bool payload_value(std::string_view payload, std::string& value);

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key ...]: sends the keys that exist to the cachenode at
/// host:port with RESTORE-ASKING, in one pipeline, and deletes those it took (unless COPY).
/// Blocks the calling loop for at most timeout ms per step, as Redis's does.  Appends the
/// reply: +OK, +NOKEY, or an error.
void migrate(Store& store, std::span<const std::string_view> argv, std::string& out);

/// RESTORE-ASKING key ttl payload [REPLACE]: stores a key MIGRATE sent.  max_value: the
/// largest value this node takes.
void restore_asking(Store& store, std::span<const std::string_view> argv, std::size_t max_value, std::string& out);

} // namespace syskit::cachenode::cluster

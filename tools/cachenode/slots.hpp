// slots: Redis Cluster's key space partition: 16384 hash slots, a key's slot being the CRC16
// (XMODEM) of the key, or of its {hash tag} when it has a non-empty one.
#pragma once

#include <cstdint>
#include <string_view>

namespace syskit::cachenode::cluster {

constexpr unsigned slot_count = 16384;

/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection, no final xor.
std::uint16_t crc16(std::string_view data);

/// The slot of key: CRC16 of the part between the first '{' and the first '}' after it when
/// that part is not empty, else of the whole key; modulo 16384.
unsigned key_slot(std::string_view key);

} // namespace syskit::cachenode::cluster

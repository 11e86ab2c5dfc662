// dump: the serialized form of one key's value, as DUMP gives it and RESTORE takes it back
// (and MIGRATE carries it between nodes).  cachenode's own format, not Redis's RDB:
//
//   "CN"  version (1 byte, 1)  type (1 byte: 0 string, 1 hash)  body  CRC-32 (4 bytes, little-endian)
//   body of a string: length, bytes
//   body of a hash:   number of fields, then each field's length and bytes and its value's
//   lengths: unsigned LEB128 varints; the CRC (zlib's crc32) covers everything before it.
//
// Decoding trusts nothing: every length is checked against the bytes left before anything is
// allocated for it.
#pragma once

#include "store.hpp"

#include <string>
#include <string_view>

namespace syskit::cachenode::dump {

constexpr unsigned char version = 1;

/// Appends the payload of v to out.
void encode(const Value& v, std::string& out);

enum class Decode {
    ok,
    bad_checksum, ///< not ours, another version, or damaged: the CRC or header does not match
    bad_format,   ///< the CRC matches but the body is malformed
};

/// Decodes payload into v.
Decode decode(std::string_view payload, Value& v);

} // namespace syskit::cachenode::dump

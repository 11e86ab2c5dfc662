// packet: the datagrams of udp send/recv, a reliable file transfer over UDP (book chapter 10's
// selective retransmission): their layout, writing and a parser that trusts nothing.
//
// Every datagram starts with "SKU", version 1, a type, three zero bytes and the 8-byte
// transfer id (the start of the file's SHA-256), all numbers big-endian:
//   hello  sender -> receiver: size (8), chunk (4), SHA-256 of the file (32)
//   data   sender -> receiver: sequence number (4), the chunk's bytes
//   ack    receiver -> sender: every chunk below cumulative (4) is here, then count (2), two
//          zero bytes and count ranges [start, end) (4 + 4) of chunks received beyond it (SACK)
//   done   receiver -> sender: status (1): 0 the file is complete and its SHA-256 matches,
//          1 it does not match
//   reset  receiver -> sender: this transfer is unknown here (a restarted receiver): say hello
//   busy   receiver -> sender: another transfer is under way
//   bye    sender -> receiver: the done arrived; the receiver, answering done until then, may go
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::sockkit::udp {

enum class Type : std::uint8_t { hello = 1, data = 2, ack = 3, done = 4, reset = 5, busy = 6, bye = 7 };

constexpr std::size_t header_size = 16;
/// An ack's ranges fill at most 8 KiB: enough to describe a whole window at 50% loss.
constexpr std::size_t max_ranges = 1024;
/// The largest chunk: a UDP datagram holds 65507 bytes, less our header and sequence number.
constexpr std::size_t max_chunk = 65507 - header_size - 4;

struct Packet {
    Type type = Type::hello;
    std::uint64_t id = 0;
    // hello
    std::uint64_t size = 0;
    std::uint32_t chunk = 0;
    std::string sha256; ///< 32 bytes
    // data
    std::uint32_t seq = 0;
    std::string_view payload; ///< points into the datagram parsed
    // ack
    std::uint32_t cumulative = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    // done
    std::uint8_t status = 0;
};

/// Parses one datagram.  nullopt with error set when it is not one of ours or is malformed:
/// a wrong magic or version, an unknown type, a wrong length, a hello with a chunk of 0 or
/// over max_chunk, an ack whose ranges are empty, out of order, overlapping or below its
/// cumulative point.  Bounds that depend on the transfer (a sequence number past the end) are
/// the caller's to check.
std::optional<Packet> parse(std::string_view datagram, std::string& error);

std::string hello(std::uint64_t id, std::uint64_t size, std::uint32_t chunk, std::string_view sha256);
/// The header of a data packet; the chunk's bytes follow it.
std::string data_header(std::uint64_t id, std::uint32_t seq);
std::string ack(std::uint64_t id, std::uint32_t cumulative,
                const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges);
std::string done(std::uint64_t id, std::uint8_t status);
std::string reset(std::uint64_t id);
std::string busy(std::uint64_t id);
std::string bye(std::uint64_t id);

/// The number of chunks of a file of size bytes.
inline std::uint64_t chunks(std::uint64_t size, std::uint32_t chunk) {
    return size / chunk + (size % chunk != 0); // not (size + chunk - 1) / chunk, which can wrap
}

} // namespace syskit::sockkit::udp

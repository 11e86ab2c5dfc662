// bus_proto: the messages cachenode cluster nodes exchange on the cluster bus (our own binary
// format, not Redis's).  PING, PONG and MEET carry the sender's view of itself (id, epochs,
// role, slots, replication offset) and a sample of the nodes it knows (gossip); FAIL announces a
// failed node; AUTH_REQUEST and AUTH_ACK are a replica's election and a master's vote; MFSTART
// asks a master to pause for a manual failover.  SYNC (a replica asking its master for the
// stream from an offset), FULL (a chunk of the master's copy of its keys), STREAM (a chunk of the
// command stream) and ACK (how far a replica has applied it) carry replication.
//
// A frame: "CNB1", type (u8), three zero bytes, total length (u32, little endian), then a
// 32-byte HMAC-SHA256 of the rest of the frame under the cluster's shared secret (all zero
// without a secret), then the body.  decode() checks every length before using it, so a
// frame from anyone on the network can be handed to it.
#pragma once

#include "slots.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::cachenode::cluster {

enum class MsgType : std::uint8_t {
    ping = 1,
    pong = 2,
    meet = 3,
    fail = 4,
    auth_request = 5,
    auth_ack = 6,
    mfstart = 7,
    sync = 8,
    full = 9,
    stream = 10,
    ack = 11,
};

/// Whether messages of type carry replication data (sender, replid, offset, data) rather than
/// the sender's view of the cluster.
constexpr bool is_data(MsgType t) { return t == MsgType::full || t == MsgType::stream || t == MsgType::ack; }

/// Message flags (Message::mflags).
enum MsgFlag : std::uint16_t {
    mf_force = 1,  ///< AUTH_REQUEST: vote even though the master is not failed (CLUSTER FAILOVER)
    mf_paused = 2, ///< PING/PONG: the sender pauses its writes for a manual failover
    mf_last = 4,   ///< FULL: the last chunk of the copy
};

struct Gossip {
    std::string id;
    std::string ip;
    std::uint16_t port = 0, cport = 0;
    std::uint16_t flags = 0;
};

struct Message {
    MsgType type = MsgType::ping;
    std::string sender; ///< 40 hex digits
    std::uint64_t current_epoch = 0, config_epoch = 0;
    std::uint16_t flags = 0;
    std::uint16_t mflags = 0;
    std::uint16_t port = 0, cport = 0;
    std::string master_id; ///< a replica's master; empty for a master
    /// The sender's replication offset; SYNC: where the stream is wanted from; FULL: the offset
    /// the copy stands at; STREAM: the offset of data's first byte; ACK: how far it is applied.
    std::uint64_t repl_offset = 0;
    std::array<std::uint8_t, slot_count / 8> slots{}; ///< bit s set: the sender serves slot s
    std::vector<Gossip> gossip;
    /// FAIL: the failed node's id; SYNC and FULL: the stream's id (40 hex digits, or empty).
    std::string about;
    std::string data; ///< FULL and STREAM: the bytes

    bool has_slot(unsigned s) const { return slots[s / 8] & (1u << (s % 8)); }
    void set_slot(unsigned s) { slots[s / 8] |= static_cast<std::uint8_t>(1u << (s % 8)); }
};

/// Frames larger than this are refused (a few thousand gossip entries fit).
constexpr std::size_t max_frame = 1 << 20;
constexpr std::size_t header_len = 12 + 32;
/// The most data one FULL or STREAM frame carries.
constexpr std::size_t max_data = max_frame - 1024;

/// The frame for m, authenticated with secret (empty: none).
std::string encode(const Message& m, std::string_view secret);

enum class Decoded { complete, incomplete, error };

/// Decodes the frame at the start of in: complete with m filled and consumed set to its
/// length; incomplete when more bytes are needed; error with why when the frame is malformed,
/// too large or not authenticated with secret (the connection is then to be closed).
Decoded decode(std::string_view in, std::string_view secret, Message& m, std::size_t& consumed, std::string& why);

} // namespace syskit::cachenode::cluster

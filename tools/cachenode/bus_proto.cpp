#include "bus_proto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace syskit::cachenode::cluster {

namespace {

constexpr char magic[4] = {'C', 'N', 'B', '1'};
constexpr std::size_t mac_offset = 12, mac_len = 32;
constexpr std::size_t max_gossip = 4096;

void put16(std::string& o, std::uint16_t v) {
    o += static_cast<char>(v & 0xff);
    o += static_cast<char>(v >> 8);
}
void put32(std::string& o, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        o += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string& o, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        o += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_str(std::string& o, std::string_view s) {
    o += static_cast<char>(s.size());
    o += s;
}

/// Reads fields from the body, failing (for good) at the first one that does not fit.
struct Reader {
    std::string_view in;
    std::size_t pos = 0;
    bool ok = true;

    bool need(std::size_t n) {
        if (!ok || in.size() - pos < n)
            ok = false;
        return ok;
    }
    std::uint64_t uint(int bytes) {
        if (!need(static_cast<std::size_t>(bytes)))
            return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= std::uint64_t{static_cast<unsigned char>(in[pos + i])} << (8 * i);
        pos += static_cast<std::size_t>(bytes);
        return v;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
    std::string str(std::size_t max) {
        std::size_t n = static_cast<std::size_t>(uint(1));
        if (n > max)
            ok = false;
        if (!need(n))
            return {};
        std::string s(in.substr(pos, n));
        pos += n;
        return s;
    }
};

/// A node id: empty when allowed, else 40 lowercase hex digits.
bool valid_id(std::string_view id, bool may_be_empty) {
    if (id.empty())
        return may_be_empty;
    return id.size() == 40 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void mac_of(std::string_view frame, std::string_view secret, unsigned char* out) {
    std::memset(out, 0, mac_len);
    if (secret.empty())
        return;
    // The MAC covers the header before it and the body after it.
    std::string covered(frame.substr(0, mac_offset));
    covered += frame.substr(mac_offset + mac_len);
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(covered.data()), covered.size(), out, &len);
}

} // namespace

std::string encode(const Message& m, std::string_view secret) {
    std::string f(magic, 4);
    f += static_cast<char>(m.type);
    f.append(3, '\0');
    put32(f, 0); // the length, filled below
    f.append(mac_len, '\0');
    put_str(f, m.sender);
    put64(f, m.current_epoch);
    put64(f, m.config_epoch);
    put16(f, m.flags);
    put16(f, m.port);
    put16(f, m.cport);
    put_str(f, m.master_id);
    put64(f, m.repl_offset);
    f.append(reinterpret_cast<const char*>(m.slots.data()), m.slots.size());
    put16(f, static_cast<std::uint16_t>(std::min(m.gossip.size(), max_gossip)));
    for (std::size_t i = 0; i < m.gossip.size() && i < max_gossip; ++i) {
        const Gossip& g = m.gossip[i];
        put_str(f, g.id);
        put_str(f, g.ip);
        put16(f, g.port);
        put16(f, g.cport);
        put16(f, g.flags);
    }
    put_str(f, m.about);
    std::uint32_t len = static_cast<std::uint32_t>(f.size());
    for (int i = 0; i < 4; ++i)
        f[8 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
    unsigned char mac[mac_len];
    mac_of(f, secret, mac);
    std::memcpy(f.data() + mac_offset, mac, mac_len);
    return f;
}

Decoded decode(std::string_view in, std::string_view secret, Message& m, std::size_t& consumed, std::string& why) {
    consumed = 0;
    std::size_t have = std::min(in.size(), std::size_t{4});
    if (std::memcmp(in.data(), magic, have) != 0) {
        why = "not a cachenode cluster bus frame";
        return Decoded::error;
    }
    if (in.size() < 12)
        return Decoded::incomplete;
    Reader h{in.substr(8, 4)};
    std::size_t len = static_cast<std::size_t>(h.uint(4));
    if (len < header_len || len > max_frame) {
        why = "frame length out of range";
        return Decoded::error;
    }
    if (in.size() < len)
        return Decoded::incomplete;
    std::string_view frame = in.substr(0, len);
    unsigned char mac[mac_len];
    mac_of(frame, secret, mac);
    if (CRYPTO_memcmp(mac, frame.data() + mac_offset, mac_len) != 0) {
        why = "bad authentication code (another cluster, or a different --cluster-secret-file)";
        return Decoded::error;
    }
    std::uint8_t type = static_cast<std::uint8_t>(frame[4]);
    if (frame[5] != 0 || frame[6] != 0 || frame[7] != 0) {
        why = "reserved header bytes are not zero";
        return Decoded::error;
    }
    if (type < 1 || type > 4) {
        why = "unknown message type";
        return Decoded::error;
    }
    Reader r{frame.substr(header_len)};
    m = Message{};
    m.type = static_cast<MsgType>(type);
    m.sender = r.str(40);
    m.current_epoch = r.uint(8);
    m.config_epoch = r.uint(8);
    m.flags = r.u16();
    m.port = r.u16();
    m.cport = r.u16();
    m.master_id = r.str(40);
    m.repl_offset = r.uint(8);
    if (r.need(m.slots.size())) {
        std::memcpy(m.slots.data(), r.in.data() + r.pos, m.slots.size());
        r.pos += m.slots.size();
    }
    std::size_t n = r.u16();
    if (n > max_gossip)
        r.ok = false;
    for (std::size_t i = 0; i < n && r.ok; ++i) {
        Gossip g;
        g.id = r.str(40);
        g.ip = r.str(46);
        g.port = r.u16();
        g.cport = r.u16();
        g.flags = r.u16();
        if (r.ok && !valid_id(g.id, false))
            r.ok = false;
        m.gossip.push_back(std::move(g));
    }
    m.about = r.str(40);
    if (!r.ok || r.pos != r.in.size()) {
        why = "malformed message";
        return Decoded::error;
    }
    if (!valid_id(m.sender, false) || !valid_id(m.master_id, true) ||
        !valid_id(m.about, m.type != MsgType::fail)) {
        why = "malformed node id";
        return Decoded::error;
    }
    consumed = len;
    return Decoded::complete;
}

} // namespace syskit::cachenode::cluster

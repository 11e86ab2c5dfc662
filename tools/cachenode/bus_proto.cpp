#include "bus_proto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

namespace syskit::cachenode::cluster {

namespace {

constexpr char magic[4] = {'C', 'N', 'B', '1'};
constexpr std::size_t mac_offset = 12, mac_len = 32;
constexpr std::size_t max_gossip = 4096;

/// Appends little-endian integers and length-prefixed strings: every field of every frame.
struct Writer {
    std::string& out;

    void uint(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void str(std::string_view s) {
        uint(s.size(), 1);
        out += s;
    }
};

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
    Writer w{f};
    w.uint(static_cast<std::uint8_t>(m.type), 4); // the type and three zero bytes
    w.uint(0, 4);                                  // the length, filled below
    f.append(mac_len, '\0');
    w.str(m.sender);
    if (is_data(m.type)) {
        w.str(m.about);
        w.uint(m.repl_offset, 8);
        w.uint(m.mflags, 2);
        std::size_t n = std::min(m.data.size(), max_data);
        w.uint(n, 4);
        f.append(m.data, 0, n);
    } else {
        w.uint(m.current_epoch, 8);
        w.uint(m.config_epoch, 8);
        for (std::uint16_t v : {m.flags, m.mflags, m.port, m.cport})
            w.uint(v, 2);
        w.str(m.master_id);
        w.uint(m.repl_offset, 8);
        f.append(reinterpret_cast<const char*>(m.slots.data()), m.slots.size());
        std::size_t n = std::min(m.gossip.size(), max_gossip);
        w.uint(n, 2);
        for (std::size_t i = 0; i < n; ++i) {
            const Gossip& g = m.gossip[i];
            w.str(g.id);
            w.str(g.ip);
            for (std::uint16_t v : {g.port, g.cport, g.flags})
                w.uint(v, 2);
        }
        w.str(m.about);
    }
    std::string len;
    Writer{len}.uint(f.size(), 4);
    f.replace(8, 4, len);
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
    if (type < 1 || type > static_cast<std::uint8_t>(MsgType::ack)) {
        why = "unknown message type";
        return Decoded::error;
    }
    Reader r{frame.substr(header_len)};
    m = Message{};
    m.type = static_cast<MsgType>(type);
    m.sender = r.str(40);
    if (is_data(m.type)) {
        m.about = r.str(40);
        m.repl_offset = r.uint(8);
        m.mflags = r.u16();
        std::size_t n = static_cast<std::size_t>(r.uint(4));
        if (n > max_data)
            r.ok = false;
        if (r.need(n)) {
            m.data = std::string(r.in.substr(r.pos, n));
            r.pos += n;
        }
    } else {
        m.current_epoch = r.uint(8);
        m.config_epoch = r.uint(8);
        m.flags = r.u16();
        m.mflags = r.u16();
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
    }
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

#include "packet.hpp"

#include "out/plural.hpp"

#include <fmt/format.h>

namespace syskit::sockkit::udp {

namespace {

void put(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = v << 8 | static_cast<std::uint8_t>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

std::string header(Type type, std::uint64_t id) {
    std::string out("SKU\x01", 4);
    out += static_cast<char>(type);
    out.append(3, '\0');
    put(out, id, 8);
    return out;
}

} // namespace

std::optional<Packet> parse(std::string_view d, std::string& error) {
    if (d.size() < header_size || d.substr(0, 3) != "SKU") {
        error = "not a sockkit datagram";
        return std::nullopt;
    }
    if (d[3] != 1) {
        error = fmt::format("protocol version {}, not 1", static_cast<int>(static_cast<std::uint8_t>(d[3])));
        return std::nullopt;
    }
    Packet p;
    auto t = static_cast<std::uint8_t>(d[4]);
    if (t < 1 || t > 7 || d[5] || d[6] || d[7]) {
        error = fmt::format("unknown datagram type {}", t);
        return std::nullopt;
    }
    p.type = static_cast<Type>(t);
    p.id = get(d, 8, 8);
    std::string_view body = d.substr(header_size);
    auto length = [&](bool ok) {
        if (!ok)
            error = fmt::format("a type {} datagram of {}", t, out::plural(d.size(), "byte"));
        return ok;
    };
    switch (p.type) {
    case Type::hello:
        if (!length(body.size() == 8 + 4 + 32))
            return std::nullopt;
        p.size = get(body, 0, 8);
        p.chunk = static_cast<std::uint32_t>(get(body, 8, 4));
        p.sha256 = body.substr(12, 32);
        if (p.chunk == 0 || p.chunk > max_chunk) {
            error = fmt::format("a chunk size of {}", p.chunk);
            return std::nullopt;
        }
        if (chunks(p.size, p.chunk) > 0xffffffffu) {
            error = "a file of more chunks than sequence numbers";
            return std::nullopt;
        }
        return p;
    case Type::data:
        if (!length(body.size() >= 4 && body.size() <= 4 + max_chunk))
            return std::nullopt;
        p.seq = static_cast<std::uint32_t>(get(body, 0, 4));
        p.payload = body.substr(4);
        return p;
    case Type::ack: {
        if (!length(body.size() >= 8))
            return std::nullopt;
        p.cumulative = static_cast<std::uint32_t>(get(body, 0, 4));
        std::size_t n = get(body, 4, 2);
        if (!length(n <= max_ranges && body.size() == 8 + 8 * n && !body[6] && !body[7]))
            return std::nullopt;
        std::uint32_t floor = p.cumulative;
        for (std::size_t i = 0; i < n; ++i) {
            auto start = static_cast<std::uint32_t>(get(body, 8 + 8 * i, 4));
            auto end = static_cast<std::uint32_t>(get(body, 12 + 8 * i, 4));
            if (start >= end || start <= floor) {
                error = "an ack whose ranges are empty, overlap or are out of order";
                return std::nullopt;
            }
            p.ranges.emplace_back(start, end);
            floor = end;
        }
        return p;
    }
    case Type::done:
        if (!length(body.size() == 1) || (p.status = static_cast<std::uint8_t>(body[0])) > 1) {
            if (error.empty())
                error = "a done datagram with an unknown status";
            return std::nullopt;
        }
        return p;
    case Type::reset:
    case Type::busy:
    case Type::bye:
        if (!length(body.empty()))
            return std::nullopt;
        return p;
    }
    return std::nullopt;
}

std::string hello(std::uint64_t id, std::uint64_t size, std::uint32_t chunk, std::string_view sha256) {
    std::string out = header(Type::hello, id);
    put(out, size, 8);
    put(out, chunk, 4);
    out += sha256;
    return out;
}

std::string data_header(std::uint64_t id, std::uint32_t seq) {
    std::string out = header(Type::data, id);
    put(out, seq, 4);
    return out;
}

std::string ack(std::uint64_t id, std::uint32_t cumulative,
                const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges) {
    std::string out = header(Type::ack, id);
    put(out, cumulative, 4);
    put(out, ranges.size(), 2);
    out.append(2, '\0');
    for (auto& [s, e] : ranges) {
        put(out, s, 4);
        put(out, e, 4);
    }
    return out;
}

std::string done(std::uint64_t id, std::uint8_t status) {
    std::string out = header(Type::done, id);
    out += static_cast<char>(status);
    return out;
}

std::string reset(std::uint64_t id) { return header(Type::reset, id); }
std::string busy(std::uint64_t id) { return header(Type::busy, id); }
std::string bye(std::uint64_t id) { return header(Type::bye, id); }

} // namespace syskit::sockkit::udp

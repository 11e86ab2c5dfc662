#include "dump.hpp"

#include <zlib.h>

#include <cstdint>

namespace syskit::cachenode::dump {

namespace {

constexpr unsigned char type_string = 0, type_hash = 1;

void put_varint(std::string& out, std::uint64_t n) {
    while (n >= 0x80) {
        out += static_cast<char>((n & 0x7f) | 0x80);
        n >>= 7;
    }
    out += static_cast<char>(n);
}

void put_bytes(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out += s;
}

std::uint32_t crc(std::string_view s) {
    return static_cast<std::uint32_t>(
        crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

/// Reads from the front of a body, failing (and staying failed) on anything short or too long.
struct Reader {
    std::string_view in;
    bool ok = true;

    std::uint64_t varint() {
        std::uint64_t n = 0;
        for (unsigned shift = 0; ok; shift += 7) {
            if (in.empty() || shift > 63) {
                ok = false;
                break;
            }
            auto b = static_cast<unsigned char>(in[0]);
            in.remove_prefix(1);
            n |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80))
                return n;
        }
        return 0;
    }
    std::string_view bytes() {
        std::uint64_t n = varint();
        if (!ok || n > in.size()) {
            ok = false;
            return {};
        }
        std::string_view r = in.substr(0, n);
        in.remove_prefix(n);
        return r;
    }
};

} // namespace

void encode(const Value& v, std::string& out) {
    std::size_t start = out.size();
    out += "CN";
    out += static_cast<char>(version);
    if (v.type == Type::string) {
        out += static_cast<char>(type_string);
        put_bytes(out, v.str);
    } else {
        out += static_cast<char>(type_hash);
        put_varint(out, v.fields.size());
        for (const auto& [f, val] : v.fields) {
            put_bytes(out, f);
            put_bytes(out, val);
        }
    }
    std::uint32_t c = crc(std::string_view(out).substr(start));
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((c >> (8 * i)) & 0xff);
}

Decode decode(std::string_view payload, Value& v) {
    if (payload.size() < 8 || payload.substr(0, 2) != "CN" || static_cast<unsigned char>(payload[2]) != version)
        return Decode::bad_checksum;
    std::string_view covered = payload.substr(0, payload.size() - 4);
    std::uint32_t stored = 0;
    for (int i = 0; i < 4; ++i)
        stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(payload[payload.size() - 4 + i])) << (8 * i);
    if (crc(covered) != stored)
        return Decode::bad_checksum;
    Reader r{covered.substr(4)};
    v = Value{};
    switch (static_cast<unsigned char>(covered[3])) {
    case type_string:
        v.type = Type::string;
        v.str.assign(r.bytes());
        break;
    case type_hash: {
        v.type = Type::hash;
        std::uint64_t n = r.varint();
        // Each field takes at least two bytes (two empty lengths): a count beyond that is a lie,
        // and is refused before anything is reserved for it.
        if (!r.ok || n == 0 || n > r.in.size() / 2)
            return Decode::bad_format;
        v.fields.reserve(n);
        for (std::uint64_t i = 0; i < n && r.ok; ++i) {
            std::string_view f = r.bytes();
            std::string_view val = r.bytes();
            v.fields.emplace_back(f, val);
        }
        break;
    }
    default:
        return Decode::bad_format;
    }
    if (!r.ok || !r.in.empty())
        return Decode::bad_format;
    return Decode::ok;
}

} // namespace syskit::cachenode::dump

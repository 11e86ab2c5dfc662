#include "out/json.hpp"

#include "out/utf8.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace syskit::out {

namespace {

/// Whether byte c goes into a JSON string as it is: printable ASCII but '"' and '\\'.
bool json_plain(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; }

/// How many bytes at the start of s are plain (json_plain): eight at a time while no byte of
/// the eight is below 0x20, at or above 0x7F, '"' or '\\' (tests on all the bytes of a word
/// at once: "Bit Twiddling Hacks", determine if a word has a byte less than n), then one by one.
/// A value's usual content is such a run, copied whole.
std::size_t plain_prefix(std::string_view s) {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto below = [&](std::uint64_t w, std::uint64_t n) { return (w - ones * n) & ~w & highs; };
    std::size_t i = 0;
    for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
        std::memcpy(&w, s.data() + i, 8);
        if (below(w, 0x20) | (w & highs) | below(w ^ (ones * 0x7F), 1) | below(w ^ (ones * '"'), 1) |
            below(w ^ (ones * '\\'), 1))
            break;
    }
    while (i < s.size() && json_plain(static_cast<unsigned char>(s[i])))
        ++i;
    return i;
}

} // namespace

void append_json_string(std::string& dst, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t plain = plain_prefix(s.substr(i));
        dst.append(s.data() + i, plain);
        i += plain;
        if (i == s.size())
            break;
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_sequence(s, i);
        if (n == 0) {
            dst += "\\udc";
            dst += hex[c >> 4];
            dst += hex[c & 15];
            ++i;
            continue;
        }
        if (n > 1) {
            dst.append(s.data() + i, n);
            i += n;
            continue;
        }
        switch (c) {
        case '"': dst += "\\\""; break;
        case '\\': dst += "\\\\"; break;
        case '\b': dst += "\\b"; break;
        case '\f': dst += "\\f"; break;
        case '\n': dst += "\\n"; break;
        case '\r': dst += "\\r"; break;
        case '\t': dst += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7F) {
                dst += "\\u00";
                dst += hex[c >> 4];
                dst += hex[c & 15];
            } else {
                dst += static_cast<char>(c);
            }
        }
        ++i;
    }
}

void Object::key(std::string_view k) {
    if (buf_.size() > 1)
        buf_ += ',';
    buf_ += '"';
    append_json_string(buf_, k);
    buf_ += "\":";
}

Object& Object::add(std::string_view k, std::string_view value) {
    key(k);
    buf_ += '"';
    append_json_string(buf_, value);
    buf_ += '"';
    return *this;
}

Object& Object::add(std::string_view k, std::int64_t value) {
    key(k);
    fmt::format_to(std::back_inserter(buf_), "{}", value);
    return *this;
}

Object& Object::add(std::string_view k, std::uint64_t value) {
    key(k);
    fmt::format_to(std::back_inserter(buf_), "{}", value);
    return *this;
}

Object& Object::add(std::string_view k, bool value) {
    key(k);
    buf_ += value ? "true" : "false";
    return *this;
}

Object& Object::add_raw(std::string_view k, std::string_view json) {
    key(k);
    buf_ += json;
    return *this;
}

} // namespace syskit::out

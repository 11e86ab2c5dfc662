#include "out/json.hpp"

#include <fmt/format.h>

namespace syskit::out {

namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when the byte there does not
/// start one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    std::size_t left = s.size() - i;
    auto cont = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return left >= 2 && cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || !cont(i + 1) || !cont(i + 2))
            return 0;
        unsigned char c1 = byte(i + 1);
        if (c == 0xE0 && c1 < 0xA0)
            return 0; // overlong
        if (c == 0xED && c1 >= 0xA0)
            return 0; // UTF-16 surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3))
            return 0;
        unsigned char c1 = byte(i + 1);
        if (c == 0xF0 && c1 < 0x90)
            return 0; // overlong
        if (c == 0xF4 && c1 >= 0x90)
            return 0; // above U+10FFFF
        return 4;
    }
    return 0;
}

} // namespace

void append_json_string(std::string& dst, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::size_t i = 0;
    while (i < s.size()) {
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

#include "out/json.hpp"

#include "out/utf8.hpp"

#include <fmt/format.h>

namespace syskit::out {

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

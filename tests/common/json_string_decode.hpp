// json_string_decode: the reader side of out::append_json_string, for tests and fuzzing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace syskit::test {

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | cp >> 12);
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | cp >> 18);
        out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Decodes a JSON string body (no quotes) as Python's json.loads then
/// .encode("utf-8", "surrogateescape") would: \udc80..\udcff give back the raw byte.
/// nullopt for text that is not a well-formed JSON string body.
inline std::optional<std::string> decode_json_string(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c < 0x20)
            return std::nullopt;
        if (c != '\\') {
            out += static_cast<char>(c);
            continue;
        }
        if (++i >= s.size())
            return std::nullopt;
        switch (s[i]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            if (i + 4 >= s.size())
                return std::nullopt;
            unsigned cp = 0;
            for (int k = 1; k <= 4; ++k) {
                int h = hex_value(s[i + k]);
                if (h < 0)
                    return std::nullopt;
                cp = cp << 4 | static_cast<unsigned>(h);
            }
            i += 4;
            if (cp >= 0xDC80 && cp <= 0xDCFF) {
                out += static_cast<char>(cp - 0xDC00);
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                return std::nullopt; // pairs are never written: astral characters stay UTF-8
            } else {
                put_utf8(out, cp);
            }
            break;
        }
        default:
            return std::nullopt;
        }
    }
    return out;
}

} // namespace syskit::test

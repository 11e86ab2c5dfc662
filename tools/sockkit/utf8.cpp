#include "utf8.hpp"

namespace syskit::sockkit {

namespace {

/// The length of the well-formed sequence at s[i], 0 when it is malformed, or -1 when it is
/// cut short by the end of s but well-formed so far.
int sequence(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80)
        return 1;
    int n;
    unsigned char lo = 0x80, hi = 0xbf; // the range of the second byte (RFC 3629's table)
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    for (int k = 1; k < n; ++k) {
        if (i + static_cast<std::size_t>(k) >= s.size())
            return -1;
        unsigned char x = b(i + static_cast<std::size_t>(k));
        if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xbf))
            return 0;
    }
    return n;
}

} // namespace

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        int n = sequence(s, i);
        if (n <= 0)
            return false;
        i += static_cast<std::size_t>(n);
    }
    return true;
}

std::size_t utf8_prefix(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        int n = sequence(s, i);
        if (n == 0)
            return i;
        if (n < 0)
            return s.size();
        i += static_cast<std::size_t>(n);
    }
    return i;
}

std::string to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        int n = sequence(s, i);
        if (n <= 0) {
            out += '?';
            ++i;
        } else {
            out.append(s.substr(i, static_cast<std::size_t>(n)));
            i += static_cast<std::size_t>(n);
        }
    }
    return out;
}

} // namespace syskit::sockkit

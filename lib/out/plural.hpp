// plural: counts in messages, in words that agree with them: "1 duplicate group", "2 entries".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syskit::out {

/// n followed by one (when n is 1) or many: plural(1, "group", "groups") is "1 group",
/// plural(3, "entry", "entries") "3 entries", plural(0, "file", "files") "0 files".
inline std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    std::string s = std::to_string(n);
    s += ' ';
    s += n == 1 ? one : many;
    return s;
}

/// n and noun with an "s" when n is not 1: plural(2, "file") is "2 files".
inline std::string plural(std::uint64_t n, std::string_view noun) {
    std::string s = std::to_string(n);
    s += ' ';
    s += noun;
    if (n != 1)
        s += 's';
    return s;
}

} // namespace syskit::out

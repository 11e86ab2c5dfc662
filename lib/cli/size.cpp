#include "cli/size.hpp"

#include <cctype>
#include <limits>

#include <fmt/format.h>

namespace syskit::cli {

std::optional<std::uint64_t> parse_size(std::string_view s) {
    std::size_t i = 0;
    std::uint64_t whole = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        unsigned d = static_cast<unsigned>(s[i] - '0');
        if (whole > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
            return std::nullopt;
        whole = whole * 10 + d;
        ++i;
    }
    if (i == 0)
        return std::nullopt;
    // Up to 9 fraction digits: a billionth of an exbibyte is still under a byte's precision.
    std::uint64_t frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            if (frac_scale < 1000000000) {
                frac = frac * 10 + static_cast<unsigned>(s[i] - '0');
                frac_scale *= 10;
            }
            ++i;
        }
        if (i == start)
            return std::nullopt;
    }
    unsigned shift = 0;
    if (i < s.size()) {
        static constexpr std::string_view units = "KMGTPE";
        std::size_t u = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(s[i]))));
        if (u == std::string_view::npos)
            return std::nullopt;
        shift = 10 * static_cast<unsigned>(u + 1);
        ++i;
        std::string_view rest = s.substr(i);
        if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB" || rest == "ib"))
            return std::nullopt;
        i = s.size();
    }
    if (i != s.size() || (frac_scale > 1 && shift == 0))
        return std::nullopt;
    if (shift && whole > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return std::nullopt;
    std::uint64_t value = whole << shift;
    if (shift) {
        // frac / frac_scale of one unit, without overflow: frac < 10^9 < 2^30, shift <= 60.
        unsigned __int128 part = (static_cast<unsigned __int128>(frac) << shift) / frac_scale;
        if (value > std::numeric_limits<std::uint64_t>::max() - part)
            return std::nullopt;
        value += static_cast<std::uint64_t>(part);
    }
    return value;
}

std::string not_a_size(std::string_view text) {
    // fmt, not "'" + std::string(text) + ...: g++ 12 warns falsely (-Wrestrict) on that sum.
    return fmt::format("'{}' is not a size (a number of bytes, optionally followed by K, M, G, T, P or E: 512, 64K, "
                       "1.5G)",
                       text);
}

} // namespace syskit::cli

#include "schedule.hpp"

namespace syskit::logroll {

std::optional<std::int64_t> parse_duration(std::string_view text) {
    constexpr std::int64_t limit = std::int64_t{100} * 366 * 86400;
    std::int64_t v = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        v = v * 10 + (text[i] - '0');
        if (v > limit)
            return std::nullopt;
    }
    if (i == 0 || v == 0)
        return std::nullopt;
    std::string_view unit = text.substr(i);
    std::int64_t mult = 0;
    if (unit.empty() || unit == "s")
        mult = 1;
    else if (unit == "m")
        mult = 60;
    else if (unit == "h")
        mult = 3600;
    else if (unit == "d")
        mult = 86400;
    else if (unit == "w")
        mult = 7 * 86400;
    else
        return std::nullopt;
    if (v > limit / mult)
        return std::nullopt;
    return v * mult;
}

std::int64_t next_boundary(std::int64_t now, std::int64_t interval) {
    std::int64_t floor = now >= 0 ? now / interval : (now - interval + 1) / interval;
    return (floor + 1) * interval;
}

} // namespace syskit::logroll

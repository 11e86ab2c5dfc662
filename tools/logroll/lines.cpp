#include "lines.hpp"

#include <cstring>

#include <fmt/format.h>

namespace syskit::logroll {

std::size_t fit(std::string_view data, std::uint64_t used, std::uint64_t limit) {
    if (used + data.size() <= limit)
        return data.size();
    std::size_t room = used < limit ? static_cast<std::size_t>(limit - used) : 0;
    if (room > 0) {
        const void* nl = memrchr(data.data(), '\n', room);
        if (nl)
            return static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
    }
    if (used > 0)
        return 0;
    return data.find('\n') + 1;
}

std::string line_prefix(Stamp s, const timespec& now) {
    switch (s) {
    case Stamp::none: return {};
    case Stamp::iso8601: {
        tm t{};
        gmtime_r(&now.tv_sec, &t);
        return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                           t.tm_hour, t.tm_min, t.tm_sec, now.tv_nsec / 1000);
    }
    case Stamp::tai64n:
        // TAI64: 2^62 plus the seconds since 1970 TAI; TAI ran 10 s ahead of UTC in 1970,
        // the offset daemontools' tai64n uses (leap seconds since are not counted).
        return fmt::format("@{:016x}{:08x} ", (std::uint64_t{1} << 62) + 10 + static_cast<std::uint64_t>(now.tv_sec),
                           static_cast<std::uint32_t>(now.tv_nsec));
    }
    return {};
}

void prefix_lines(std::string_view data, std::string_view prefix, bool& at_line_start, std::string& out) {
    while (!data.empty()) {
        if (at_line_start)
            out.append(prefix);
        std::size_t nl = data.find('\n');
        std::size_t n = nl == std::string_view::npos ? data.size() : nl + 1;
        out.append(data.substr(0, n));
        at_line_start = nl != std::string_view::npos;
        data.remove_prefix(n);
    }
}

} // namespace syskit::logroll

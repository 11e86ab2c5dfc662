#include "names.hpp"

#include <fmt/format.h>

namespace syskit::logroll {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days: the proleptic Gregorian calendar
// without the TZ environment that timegm and gmtime_r consult.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 18 || s[0] == '0')
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

unsigned digits(std::string_view s) {
    unsigned v = 0;
    for (char c : s)
        v = v * 10 + static_cast<unsigned>(c - '0');
    return v;
}

} // namespace

std::string_view extension(Compression c) {
    switch (c) {
    case Compression::gzip: return ".gz";
    case Compression::zstd: return ".zst";
    case Compression::none: break;
    }
    return "";
}

std::string stamp(std::int64_t t) {
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    std::int64_t secs = t - days * 86400;
    Civil c = civil_from_days(days);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", c.y, c.m, c.d, secs / 3600, secs / 60 % 60, secs % 60);
}

std::optional<std::int64_t> parse_stamp(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z')
        return std::nullopt;
    for (std::size_t i = 0; i < 15; ++i)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return std::nullopt;
    unsigned y = digits(s.substr(0, 4)), mo = digits(s.substr(4, 2)), d = digits(s.substr(6, 2));
    unsigned h = digits(s.substr(9, 2)), mi = digits(s.substr(11, 2)), se = digits(s.substr(13, 2));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return std::nullopt;
    std::int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    if (stamp(t) != s) // a day the month does not have
        return std::nullopt;
    return t;
}

std::string rotated_name(std::string_view base, Scheme scheme, std::int64_t time, std::uint64_t seq) {
    if (scheme == Scheme::numbered)
        return fmt::format("{}.{}", base, seq);
    if (seq == 0)
        return fmt::format("{}.{}", base, stamp(time));
    return fmt::format("{}.{}.{}", base, stamp(time), seq);
}

std::optional<Rotated> parse_rotated(std::string_view base, Scheme scheme, std::string_view name) {
    if (base.empty() || name.size() <= base.size() + 1 || name.substr(0, base.size()) != base ||
        name[base.size()] != '.')
        return std::nullopt;
    Rotated r;
    r.name = std::string(name);
    r.scheme = scheme;
    std::string_view rest = name.substr(base.size() + 1);
    for (Compression c : {Compression::gzip, Compression::zstd}) {
        std::string_view ext = extension(c);
        if (rest.size() > ext.size() && rest.substr(rest.size() - ext.size()) == ext) {
            r.compression = c;
            rest.remove_suffix(ext.size());
            break;
        }
    }
    if (scheme == Scheme::numbered) {
        auto n = parse_number(rest);
        if (!n)
            return std::nullopt;
        r.seq = *n;
        return r;
    }
    auto t = parse_stamp(rest.substr(0, 16));
    if (!t)
        return std::nullopt;
    r.time = *t;
    rest.remove_prefix(16);
    if (!rest.empty()) {
        if (rest[0] != '.')
            return std::nullopt;
        auto n = parse_number(rest.substr(1));
        if (!n)
            return std::nullopt;
        r.seq = *n;
    }
    return r;
}

} // namespace syskit::logroll

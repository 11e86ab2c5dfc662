#include "cli/duration.hpp"

#include <cmath>
#include <cstdlib>

namespace syskit::cli {

namespace {

constexpr std::int64_t hundred_years = std::int64_t{100} * 366 * 86400;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The length of the number text starts with: digits, optionally with one '.' among or
/// after them, then optionally an exponent (e, a sign, digits) when fraction is true.
/// 0 when text does not start with one.
std::size_t number_length(std::string_view text, bool fraction) {
    std::size_t i = 0, digits = 0;
    for (; i < text.size() && is_digit(text[i]); ++i)
        ++digits;
    if (!fraction)
        return i;
    if (i < text.size() && text[i] == '.')
        for (++i; i < text.size() && is_digit(text[i]); ++i)
            ++digits;
    if (digits == 0)
        return 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < text.size() && (text[j] == '+' || text[j] == '-'))
            ++j;
        std::size_t start = j;
        while (j < text.size() && is_digit(text[j]))
            ++j;
        // "1e" is the number 1 and a unit e, which no duration has.
        if (j > start)
            i = j;
    }
    return i;
}

/// Seconds in one unit; 0 for an unknown one.
std::int64_t unit_seconds(std::string_view unit) {
    if (unit.empty() || unit == "s")
        return 1;
    if (unit == "m")
        return 60;
    if (unit == "h")
        return 3600;
    if (unit == "d")
        return 86400;
    if (unit == "w")
        return 7 * 86400;
    return 0;
}

} // namespace

std::optional<double> parse_seconds(std::string_view text, double max) {
    std::size_t n = number_length(text, true);
    if (n == 0 || n != text.size())
        return std::nullopt;
    // The grammar is checked above; strtod only converts, with correct rounding.  It wants
    // a terminated string, and from_chars for double is missing from some libraries in use.
    std::string s(text);
    double v = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(v) || v > max)
        return std::nullopt;
    return v;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
    std::size_t n = number_length(text, false);
    if (n == 0)
        return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v = v * 10 + (text[i] - '0');
        if (v > hundred_years)
            return std::nullopt;
    }
    std::int64_t unit = unit_seconds(text.substr(n));
    if (v == 0 || unit == 0 || v > hundred_years / unit)
        return std::nullopt;
    return v * unit;
}

std::string not_a_duration(std::string_view text) {
    return "'" + std::string(text) + "' is not a duration (a positive number, then s, m, h, d or w)";
}

} // namespace syskit::cli

// cli::parse_seconds and cli::parse_duration, the parsers of every timeout, grace period and
// interval option: never crash, accept only what their grammar allows, stay within their
// limits, and read back what they accepted.
#include "cli/duration.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace syskit::cli;
    std::string_view in(reinterpret_cast<const char*>(data), size);

    // Seconds: digits, one '.', an exponent; a finite number from 0 to the limit.
    if (auto v = parse_seconds(in)) {
        check(std::isfinite(*v) && *v >= 0 && *v <= 1e9);
        check(!in.empty() && in.find_first_not_of("0123456789.eE+-") == std::string_view::npos);
        check(in[0] != '+' && in[0] != '-' && in[0] != 'e' && in[0] != 'E');
        // A tighter limit only takes away.
        auto capped = parse_seconds(in, 60);
        check(capped ? *capped == *v : *v > 60);
    }

    // Durations: whole positive seconds, at most 100 years, in whole units.
    if (auto d = parse_duration(in)) {
        check(*d > 0 && *d <= std::int64_t{100} * 366 * 86400);
        check(!in.empty() && in[0] >= '0' && in[0] <= '9');
        std::size_t digits = in.find_first_not_of("0123456789");
        std::string_view unit = digits == std::string_view::npos ? std::string_view{} : in.substr(digits);
        check(unit.empty() || unit == "s" || unit == "m" || unit == "h" || unit == "d" || unit == "w");
        // In seconds, with no unit, it reads back the same.
        check(parse_duration(std::to_string(*d)) == *d);
        // A duration without a unit is whole seconds, which parse_seconds takes too.
        if (unit.empty() || unit == "s")
            check(parse_seconds(in.substr(0, digits == std::string_view::npos ? in.size() : digits), 1e10) ==
                  static_cast<double>(*d));
    }
    return 0;
}

// duration: lengths of time given on the command line, such as -w 0.5 or --interval 1h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::cli {

/// Seconds as timeouts and grace periods take them (fdlock -w, inwatch -t, logroll --wait):
/// a decimal number such as 5, 0.5, .25, 5. or 1e-3, with no sign, space or unit, from 0 to
/// max.  nullopt for anything else.
std::optional<double> parse_seconds(std::string_view text, double max = 1e9);

/// Whole seconds as schedules take them (logroll --interval, --age, --max-age): a positive
/// whole number with an optional unit s, m, h, d or w: "90", "90s", "15m", "1h", "1d", "2w".
/// nullopt for anything else, zero, or more than 100 years.
std::optional<std::int64_t> parse_duration(std::string_view text);

/// What a tool says of a value parse_duration refuses.
std::string not_a_duration(std::string_view text);

} // namespace syskit::cli

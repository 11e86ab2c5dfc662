// size: sizes given on the command line, such as --min-size 10M.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::cli {

/// Parses a byte count: digits, then optionally a unit K, M, G, T, P or E (powers of 1024,
/// as du and logrotate read them), which may be followed by "iB" or "B" and is not case
/// sensitive: "512", "10M", "1.5G", "64KiB".  A fraction is allowed with a unit and rounded
/// down to whole bytes.  nullopt for anything else, or a value above 2^64 - 1.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// What every tool says of a size option's value that parse_size refuses.
std::string not_a_size(std::string_view text);

} // namespace syskit::cli

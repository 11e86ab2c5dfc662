// flock_cli: the parts of fdlock's command line that CLI11 does not do as flock(1) does:
// descriptor numbers and --help's usage lines.  Where the command begins is lib/cli/command's,
// and seconds are lib/cli/duration's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace syskit::fdlock {

/// A descriptor number: decimal digits only, at most INT_MAX.  nullopt when it is not.
std::optional<int> parse_fd(std::string_view text);

/// The usage lines fdlock's --help prints (cli::HelpFormatter).
extern const char* const usage_text;

} // namespace syskit::fdlock

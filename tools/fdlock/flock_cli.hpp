// flock_cli: the parts of fdlock's command line that CLI11 does not do as flock(1) does:
// descriptor numbers and --help's layout.  Where the command begins is lib/cli/command's,
// and seconds are lib/cli/duration's.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace syskit::fdlock {

/// A descriptor number: decimal digits only, at most INT_MAX.  nullopt when it is not.
std::optional<int> parse_fd(std::string_view text);

/// The usage lines fdlock's --help and usage errors print.
extern const char* const usage_text;

/// A CLI11 formatter laid out as util-linux prints flock(1)'s --help: the usage lines, the
/// description, then one line per option (" -s, --shared   description"), --help and
/// --version last, and a pointer to the manual page.
class HelpFormatter : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App* app, std::string name) const override;
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

} // namespace syskit::fdlock

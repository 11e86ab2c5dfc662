// flock_cli: the parts of fdlock's command line that CLI11 does not do as flock(1) does:
// where the command begins, durations, descriptor numbers, and --help's layout.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace syskit::fdlock {

/// The index in argv of the first operand (FILE or FD), or argc when there is none.  The
/// arguments before it are fdlock's options; those after it are the command, whatever
/// they look like ("fdlock F ls -l"), as getopt's "+" makes flock(1) stop at its first
/// operand.  An option is known to take a value from app's definition of it, so "-w 5",
/// "-w5", "--timeout 5" and "--timeout=5" are each skipped whole; after "--", the next
/// argument is the operand.
int first_operand(const CLI::App& app, int argc, char** argv);

/// Seconds, as -w, --deadline and --grace take them: a decimal number such as 5, 0.5 or
/// 1e-3, at least 0, at most a billion (about 31 years).  nullopt when it is not.
std::optional<double> parse_seconds(std::string_view text);

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

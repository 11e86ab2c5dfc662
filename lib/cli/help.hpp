// cli/help: the one --help layout of every syskit tool, util-linux's (flock --help): the
// usage lines, the description, the options one a line with their values, --help and
// --version last, the commands, the notes, and where the manual page is; every line under
// 80 columns, nothing of CLI11's own notation (REQUIRED, Excludes:, :{a,b}).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace syskit::cli {

/// The longest line --help prints, in columns.
inline constexpr std::size_t help_width = 79;

/// text folded at spaces into lines of at most width columns, each line after the first
/// (and each line after a newline in text) starting with indent spaces.
std::string wrap(const std::string& text, std::size_t indent, std::size_t width = help_width);

/// The formatter cli::Tool gives its CLI::App (and so its subcommands).
class HelpFormatter : public CLI::Formatter {
public:
    /// usage: the usage lines, "Usage: T [OPTIONS] ...\n       T ...\n"; empty: made from
    /// the options and operands.
    explicit HelpFormatter(std::string usage = "") : usage_(std::move(usage)) {}

    std::string make_usage(const CLI::App* app, std::string name) const override;
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;

private:
    std::string usage_;
};

} // namespace syskit::cli

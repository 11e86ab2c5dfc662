// cli: the command line every syskit tool shares (DESIGN.md, "Conventions"): CLI11 with the
// shared options and error handling, and cli/diag.hpp's exit statuses and diagnostics.
#pragma once

#include "cli/diag.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace syskit::cli {

/// A tool's command line: CLI11 with the shared options and the shared error handling.
///
/// Usage: construct, add the shared options the tool takes, add its own through app(),
/// then call parse(); a returned value is the exit status to leave with (help, version,
/// usage errors), std::nullopt means go on.
class Tool {
public:
    /// name: the binary's name, used in diagnostics; description: the one-line summary
    /// --help prints first.
    Tool(std::string name, std::string description);

    CLI::App& app() { return app_; }

    /// --format text|json, for tools whose results are records.
    Tool& add_format();
    /// -0/--null, for tools whose results are paths.  help: what the flag does in this tool.
    Tool& add_null(std::string help = "Print paths only, each followed by a NUL byte");
    /// Frees -h for the tool's own use (du's -h): help is then --help alone.
    Tool& long_help_only();
    /// --color auto|always|never.
    Tool& add_color();
    /// -q/--quiet: no progress line, no warnings that are not errors.
    Tool& add_quiet();

    /// Parses argv.  --help and --version print to stdout and return 0; a usage error prints
    /// "tool: message", the short usage line and a pointer to --help on stderr, and returns 2.
    std::optional<int> parse(int argc, char** argv);

    Format format() const { return format_; }
    bool null() const { return null_; }
    bool quiet() const { return quiet_; }
    /// Whether to colour what goes to stdout, after --color and NO_COLOR.
    bool color_stdout() const;

private:
    std::string usage_line() const;

    CLI::App app_;
    Format format_ = Format::text;
    bool null_ = false;
    bool quiet_ = false;
    Color color_ = Color::auto_;
};

} // namespace syskit::cli

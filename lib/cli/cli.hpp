// cli: the command-line conventions every syskit tool shares (DESIGN.md, "Conventions").
#pragma once

#include <CLI/CLI.hpp>

#include <fmt/core.h>

#include <optional>
#include <string>
#include <string_view>

namespace syskit::cli {

/// Exit statuses, as diff(1) uses them.
enum Exit : int {
    exit_ok = 0,      ///< success, nothing to report
    exit_found = 1,   ///< ran and found what it looks for (findings, duplicates, a held lock)
    exit_trouble = 2, ///< bad usage, unreadable input, a failed system call
};

enum class Format { text, json };
enum class Color { auto_, always, never };

/// The name diagnostics start with; set once by Tool's constructor.
const std::string& program_name();

/// Prints "tool: subject: message" on stderr.  An empty subject prints "tool: message".
void error(std::string_view subject, std::string_view message);

/// Prints "tool: subject: strerror(err)" on stderr.
void error_errno(std::string_view subject, int err);

/// Whether colour should be used on the stream fd: `always` and `never` decide alone;
/// `auto_` means fd is a terminal and NO_COLOR is unset or empty (https://no-color.org).
bool use_color(Color choice, int fd);

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

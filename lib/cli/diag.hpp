// diag: the conventions every syskit tool shares that need no command-line parser
// (DESIGN.md, "Conventions"): exit statuses, diagnostics on stderr, the output choices.
// Code that only reports and exits includes this header; cli/cli.hpp adds the parser,
// whose header, CLI11, costs more to compile than most of syskit's files.
#pragma once

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

/// What is wrong with a command line, found after parsing: the option or operand concerned
/// (empty when none is) and why, in words.
struct Problem {
    std::string subject, message;
};

/// The name diagnostics start with; set once by Tool's constructor.
const std::string& program_name();

/// Sets the name diagnostics start with; Tool's constructor calls it.
void set_program_name(std::string name);

/// Prints "tool: subject: message" on stderr.  An empty subject prints "tool: message".
void error(std::string_view subject, std::string_view message);

/// Prints "tool: subject: strerror(err)" on stderr.
void error_errno(std::string_view subject, int err);

/// Prints "tool: subject: warning: message" on stderr: something not done, or not as asked,
/// that is not a failure (a configuration directive ignored).  Nothing under --quiet.
void warn(std::string_view subject, std::string_view message);

/// Prints "tool: subject: message" on stderr, as error() does, for what the user asked to be
/// told (--verbose): printed even under --quiet, but not coloured as an error.
void note(std::string_view subject, std::string_view message);

/// note() for what a tool tells along the way unasked (resuming a transfer where it
/// stopped): nothing under --quiet.
void info(std::string_view subject, std::string_view message);

/// From now on, colour the diagnostics above (cli::Tool::parse calls it after --color): the
/// "tool:" of an error in bold red, the "warning:" of a warning in bold yellow, the "tool:"
/// of a note in bold.
void set_color(bool on);

/// From now on, print no warnings (cli::Tool::parse calls it after -q/--quiet).
void set_quiet(bool on);

/// A usage error, the one way every tool reports one (util-linux's errtryhelp): "tool:
/// subject: message", then "Try 'tool --help' for more information.", on stderr.  Returns
/// exit_trouble, the status to leave with.
int usage_error(std::string_view subject, std::string_view message);
int usage_error(const Problem& problem);

/// Prints "Try 'tool --help' for more information." on stderr.
void try_help();

/// Whether colour should be used on the stream fd: `always` and `never` decide alone;
/// `auto_` means fd is a terminal and NO_COLOR is unset or empty (https://no-color.org).
bool use_color(Color choice, int fd);

} // namespace syskit::cli

// cli: the command line every syskit tool shares (DESIGN.md, "Conventions"): the shared
// options, --help in one layout, --version with the build's features, and usage errors in
// words, over CLI11.  CLI11 is declared, not included: main.cpp and the tests need only this
// class, and CLI11's header costs more to compile than most of syskit's files.  The files that
// declare options (each tool's options.cpp) include <CLI/CLI.hpp> and cli/values.hpp.
#pragma once

#include "cli/diag.hpp"

#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace syskit::cli {

/// A tool's command line: CLI11 with the shared options and the shared error handling.
///
/// Usage: construct, add the shared options the tool takes, add its own through app(),
/// then call parse(); a returned value is the exit status to leave with (help, version,
/// usage errors), std::nullopt means go on.  A Tool stays where it was constructed: CLI11
/// holds pointers to its members.
class Tool {
public:
    /// name: the binary's name, used in diagnostics; description: the one-line summary
    /// --help prints first.
    Tool(std::string name, std::string description);
    ~Tool();
    Tool(const Tool&) = delete;
    Tool& operator=(const Tool&) = delete;

    /// The parser, for add_options(app, o); using its members needs <CLI/CLI.hpp>.
    CLI::App& app() { return *app_; }

    /// --format text|json, for tools whose results are records.
    Tool& add_format();
    /// -0/--null, for tools whose results are paths.  help: what the flag does in this tool.
    Tool& add_null(std::string help = "Print paths only, each followed by a NUL byte");
    /// Frees -h for the tool's own use (du's -h): help is then --help alone.
    Tool& long_help_only();
    /// --color auto|always|never.  Once parsed, it also colours the tool's diagnostics on
    /// stderr (cli::set_color), when color_stderr() says so.
    Tool& add_color();
    /// -q/--quiet: no progress line, no warnings that are not errors (once parsed,
    /// cli::warn prints none).  help: what else it silences in this tool.
    Tool& add_quiet(std::string help = "No progress line, no warnings on stderr");
    /// -j/--jobs N, the number of worker threads (1 to 1024); 0 in jobs means the default,
    /// one per CPU (cli::cpu_count).  Further names (cachenode's --threads) are aliases.
    Tool& add_jobs(unsigned& jobs, std::string aliases = "");
    /// The last paragraph of --help (util-linux: "For more details see T(1).").
    Tool& footer(std::string text);

    /// Parses argv.  --help and --version print to stdout and return 0; a usage error prints
    /// "tool: subject: what is wrong" and "Try 'tool --help' for more information." on
    /// stderr, and returns 2.
    std::optional<int> parse(int argc, char** argv);

    /// Parses argv without printing, as the unit tests do: what is wrong with it in the
    /// words parse() prints (subject and message), or nullopt when it parsed.  --help and
    /// --version parse.
    std::optional<Problem> check(int argc, char** argv);

    /// What --help prints.
    std::string help() const;

    Format format() const { return format_; }
    bool null() const { return null_; }
    bool quiet() const { return quiet_; }
    /// Whether to colour what goes to stdout, after --color and NO_COLOR.
    bool color_stdout() const;
    /// Whether to colour what goes to stderr (diagnostics, a daemon's log lines), after
    /// --color and NO_COLOR; false when the tool has no --color.
    bool color_stderr() const;

private:
    enum class Outcome { parsed, help, version, problem };
    Outcome run(int argc, char** argv, Problem* problem);

    std::unique_ptr<CLI::App> app_;
    std::string version_; ///< what --version prints
    Format format_ = Format::text;
    bool null_ = false;
    bool quiet_ = false;
    Color color_ = Color::auto_;
    bool has_color_ = false; ///< add_color() was called
};

/// The build's features, as --version lists them after the version line ("features: TLS
/// (OpenSSL 3.0.11), zstd 1.5.4, ...").
const char* build_features();

} // namespace syskit::cli

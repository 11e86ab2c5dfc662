// cli/spec: a tool's options as data, from which the build generates its shell completions
// (completions/generate.py), so that they list exactly what the tool accepts.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace syskit::cli {

/// The environment variable that makes a tool print options_spec() and exit 0 instead of
/// parsing its command line (cli::Tool::parse); only the build sets it.
inline constexpr const char* options_spec_variable = "SYSKIT_OPTIONS_SPEC";

/// Describes every named option of app, one line each, fields separated by tabs:
///   NAMES  ARG  VALUES  HELP
/// NAMES: the option's names with their dashes, separated by spaces (-j --jobs);
/// ARG: 1 if the option takes a value, 0 for a flag; VALUES: the values it accepts, separated
/// by spaces, when they are a fixed list (an option_text of the form a|b|c, or a CLI11
/// IsMember or CheckedTransformer check), else empty; HELP: its one-line description, with
/// tabs and newlines turned into spaces.  Positional arguments are left out.
std::string options_spec(CLI::App& app);

} // namespace syskit::cli

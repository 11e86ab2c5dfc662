// cli/usage: CLI11's parse errors in words (DESIGN.md: no parser internals reach the user):
// "--format: 'xml' is not one of: text, json", "--port: '99999' is not a number from 1 to
// 65535", "--bogus: unknown option".
#pragma once

#include "cli/diag.hpp"

namespace CLI {
class App;
class ParseError;
} // namespace CLI

namespace syskit::cli {

/// What error says is wrong with the command line app parsed, as a subject (the option or
/// operand concerned) and a message in words.
Problem problem_of(const CLI::ParseError& error, const CLI::App& app);

} // namespace syskit::cli

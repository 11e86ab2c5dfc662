// tidy: the organize and undo subcommands as main runs them, on a directory named on the
// command line.
#pragma once

#include "options.hpp"
#include "rules.hpp"

#include "out/text.hpp"

#include <optional>
#include <string>

namespace syskit::usbtidy {

/// Reads and parses the --rules file at path; "" gives the book's rule.  nullopt with why
/// set ("FILE: line 3: ...", "FILE: open: ...") on failure.
std::optional<Rules> load_rules(const std::string& path, std::string& why);

/// usbtidy organize: prints each move on sink, each problem on stderr.  The exit status:
/// 0 when every file could be moved, 2 otherwise.
int run_organize(const Options& o, out::Sink& sink);

/// usbtidy undo: as run_organize, for the way back.
int run_undo(const Options& o, out::Sink& sink);

} // namespace syskit::usbtidy

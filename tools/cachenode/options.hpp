// options: cachenode's command line, parsed into a Config and checked as a whole.
#pragma once

#include "config.hpp"

#include "cli/diag.hpp"

#include <optional>
#include <string>

// Declared, not included: CLI11 costs more to compile than the modules that take a Config.
namespace CLI {
class App;
}

namespace syskit::cachenode {

struct Options {
    Config cfg;
    std::string token_file; ///< --token-file: where the password is, read after finish()
    bool check_config = false;

    /// The raw text of the options finish() converts; unset ones keep Config's defaults.
    struct Raw {
        std::optional<std::string> max_memory, max_key, max_value, max_request, eviction;
        std::optional<std::string> repl_backlog; ///< --repl-backlog-size
    } raw;
};

/// Declares every option of cachenode on app, storing into o.cfg, o.raw and o.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into o.cfg's typed fields, checks how the options combine, and settles the
/// defaults that depend on the machine (threads: one per CPU this process may run on).
std::optional<cli::Problem> finish(Options& o);

} // namespace syskit::cachenode

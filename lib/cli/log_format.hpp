// cli/log_format: --log-format logfmt|json, the option every daemon's log lines share
// (DESIGN.md, "Daemons"), declared once.  Header-only: it needs lib/log, which not every tool
// links, and the options.cpp files that include it already pay for CLI11.
#pragma once

#include "cli/values.hpp"
#include "log/log.hpp"

namespace syskit::cli {

/// Declares --log-format on app (a tool, or the subcommand that runs as a daemon), storing
/// into format; a value other than logfmt or json is refused in words ("'xml' is not one of:
/// logfmt, json").
inline CLI::Option* add_log_format(CLI::App& app, log::Format& format) {
    return app.add_option("--log-format", format, "Log lines on stderr: logfmt (default) or json")
        ->transform(one_of(std::vector<std::pair<std::string, log::Format>>{{"logfmt", log::Format::logfmt},
                                                                            {"json", log::Format::json}}));
}

} // namespace syskit::cli

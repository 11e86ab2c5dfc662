// report: permscan's findings as text, JSON lines, NUL-separated paths or counts.
#pragma once

#include "checks.hpp"
#include "cli/diag.hpp"
#include "out/text.hpp"

#include <array>
#include <vector>

namespace syskit::permscan {

struct ReportOptions {
    cli::Format format = cli::Format::text;
    bool null = false;
    bool color = false;
    bool escape = false; ///< escape control characters in paths (stdout is a terminal)
};

/// Prints findings, sorted by path, one record each (-0: each path once).
void print_findings(out::Sink& sink, Owners& owners, const std::vector<Finding>& findings, const ReportOptions& o);

/// Prints how many findings each enabled check has.
void print_summary(out::Sink& sink, const std::vector<Finding>& findings,
                   const std::array<bool, check_count>& enabled, const ReportOptions& o);

} // namespace syskit::permscan

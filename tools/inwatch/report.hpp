// report: inwatch's event lines: text, inotifywait's --format placeholders, JSON, NUL.
#pragma once

#include "notify/inotify.hpp"

#include <ctime>
#include <string>

namespace syskit::inwatch {

enum class Style { text, custom, json, null };

struct ReportOptions {
    Style style = Style::text;
    std::string format;  ///< for Style::custom: %w %f %e %T %% as inotifywait reads them
    std::string timefmt = "%Y-%m-%dT%H:%M:%S%z"; ///< strftime(3) format of %T and JSON's time
    bool escape = false; ///< escape control characters (stdout is a terminal)
};

/// One event as a record, with its terminator (a newline, or a NUL for Style::null).
///   text:   PATH EVENTS, and for a paired move FROM EVENTS TO
///   custom: the format with %w (the directory, with a trailing slash), %f (the name),
///           %e (the events, comma-separated), %T (the time, by timefmt), %% (a percent sign)
///   json:   {"path","events","is_dir","time"} and "from" for a paired move, "synthetic"
///           for what a scan found
std::string render(const notify::Event& e, const ReportOptions& o, std::time_t when);

} // namespace syskit::inwatch

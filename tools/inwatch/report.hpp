// report: inwatch's event lines: text, inotifywait's --format placeholders and --csv, JSON, NUL.
#pragma once

#include "notify/inotify.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace syskit::inwatch {

enum class Style { text, custom, csv, json, null };

struct ReportOptions {
    Style style = Style::text;
    std::string format;  ///< for Style::custom: %w %f %e %T %% as inotifywait reads them
    /// strftime(3) format of %T and JSON's time, in local time; empty: RFC 3339 in UTC with
    /// milliseconds, "2026-12-01T14:02:05.123Z", as every syskit tool writes times.
    std::string timefmt;
    bool escape = false; ///< escape control characters (stdout is a terminal)
    /// text: the events coloured by kind: a removal red, an arrival green, a change yellow,
    /// a rename inside the tree and the rest cyan
    bool color = false;
};

/// One event as a record, with its terminator (a newline, or a NUL for Style::null).
///   text:   PATH EVENTS, and for a paired move FROM EVENTS TO
///   custom: the format with %w (the directory, with a trailing slash), %f (the name),
///           %e (the events, comma-separated), %T (the time, by timefmt), %% (a percent sign)
///   csv:    DIRECTORY,EVENTS,NAME as inotifywait --csv writes it (RFC 4180 quoting), and a
///           paired move as its two halves, MOVED_FROM then MOVED_TO, as inotifywait reports it
///   json:   {"path","events","is_dir","time"} and "from" for a paired move, "synthetic"
///           for what a scan found
/// when: the time the event was read (CLOCK_REALTIME).
std::string render(const notify::Event& e, const ReportOptions& o, const timespec& when);

/// A CSV field as RFC 4180 writes it: as it is, or in double quotes (each one doubled) when
/// it holds a comma, a quote, a line break, or a space at either end.
std::string csv_field(std::string_view s);

} // namespace syskit::inwatch

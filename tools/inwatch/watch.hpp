// watch: inwatch's event loop: reads the watcher's events and reports them, or runs the
// --exec command after each burst, until it is done.
#pragma once

#include "options.hpp"

#include "notify/inotify.hpp"
#include "out/text.hpp"

namespace syskit::inwatch {

/// Watches with watcher, as o asks, writing event lines to sink (those o.include admits):
/// the first event and exit
/// without --monitor; every event with it, until SIGINT or SIGTERM; with a command, runs it
/// after each burst of events (o.debounce_ms without one), and ends it before returning.
/// o.report.escape must be set.  Returns exit_ok, exit_found when -t passed with no event
/// (or a signal came before the first event without --monitor), or exit_trouble when the
/// events could not be read.  Throws std::system_error when the event loop cannot be set up.
int watch(notify::Watcher& watcher, const Options& o, out::Sink& sink);

} // namespace syskit::inwatch

// watch: watch mode, the book's event-driven rotator: inotify on the log's directory says
// when the log grew (or was created again by its writer), and logroll rotates it once it
// passes --size, or every --interval.
#pragma once

#include "options.hpp"
#include "rotate.hpp"

#include "log/log.hpp"
#include "loop/loop.hpp"

namespace syskit::logroll {

/// Runs until SIGTERM or SIGINT; SIGUSR1 (or SIGALRM) rotates now, SIGHUP checks the size
/// now.  Returns the exit status.
int run_watch(loop::Loop& loop, const Options& o, Rotator& rotator, log::Logger& log);

} // namespace syskit::logroll

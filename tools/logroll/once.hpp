// once: one-shot mode, for cron and systemd timers: rotate the log if a condition holds.
#pragma once

#include "options.hpp"
#include "rotate.hpp"

#include "log/log.hpp"

namespace syskit::logroll {

/// Rotates when the log is at least --size bytes, or was created at least --age ago, or
/// (neither given) is not empty.  Returns 0 rotated (or, --dry-run, would rotate), 1
/// nothing to do, 2 trouble.
int run_once(const Options& o, Rotator& rotator, log::Logger& log);

} // namespace syskit::logroll

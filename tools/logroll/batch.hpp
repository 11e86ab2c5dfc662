// batch: config mode (--config): every log a configuration names, each rotated under its
// lock as --once rotates one, with logrotate's scripts, create, su and olddir around it; and
// --convert, the configuration written back as logroll reads it.
#pragma once

#include "config.hpp"
#include "options.hpp"

#include "log/log.hpp"
#include "out/text.hpp"

namespace syskit::logroll {

/// Config mode's whole run: loads o.config (Mode::config) and runs it, or o.convert
/// (Mode::convert) and prints it converted.  Returns the exit status.
int run_config_mode(const Options& o);

/// Rotates every due log of cfg (o.config's contents) in order, block by block: o.dry_run
/// prints on out, for each log, what would be done and why instead; o.force rotates every
/// log that is not empty under notifempty; o.state is the state file of the logs with a time
/// trigger; o.wait the seconds to wait for another logroll's lock.  A log that fails is
/// logged and the others are still done.  Returns 0 when something was rotated and nothing
/// failed, 1 when nothing was due, 2 when a log (or the configuration) failed.
int run_config(const config::Config& cfg, const Options& o, log::Logger& log, out::Sink& out);

/// Prints cfg as logroll's configuration (every block with the defaults it took folded in,
/// comments on what was ignored or is done differently, and the errors of what was left
/// out).  Returns 0, or 2 when something was refused.
int run_convert(const config::Config& cfg, out::Sink& out);

/// Reports cfg's errors and warnings on standard error ("logroll: FILE:LINE: message");
/// true when there were errors.
bool report_config(const config::Config& cfg);

} // namespace syskit::logroll

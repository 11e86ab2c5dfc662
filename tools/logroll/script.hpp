// script: the prerotate, postrotate, firstaction and lastaction scripts of config mode, run
// with /bin/sh -c, their output logged line by line, killed when they run past a timeout.
#pragma once

#include "log/log.hpp"

#include <string>
#include <string_view>

namespace syskit::logroll {

/// Runs text with /bin/sh -c, $0 "logroll" and $1 arg (as logrotate passes the log's path, or
/// a block's patterns), in a process group of its own, standard input /dev/null and its
/// output (both streams) logged as lines with the script's name (what) and arg.  Once it
/// has run timeout seconds its process group is killed.  Returns true when it exited 0;
/// otherwise false with error saying how it ended (status, signal, timeout) or which call
/// failed.  A background process the script leaves holding its output does not make this
/// wait: the script's own exit ends it.
bool run_script(std::string_view what, const std::string& text, const std::string& arg, double timeout,
                log::Logger& log, std::string& error);

} // namespace syskit::logroll

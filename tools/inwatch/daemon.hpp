// daemon: -d, going to the background once the watches are set up, as inotifywait -d does.
#pragma once

#include <string>

namespace syskit::inwatch {

enum class Forked { parent, child, failed };

/// Forks.  The parent gets Forked::parent and should exit 0 at once (the shell that started
/// it goes on); the child, in a session of its own (setsid), in /, with standard input and output
/// on /dev/null and standard error connected to syslog's /dev/log (or /dev/null when there
/// is none), gets Forked::child and carries on watching.  Forked::failed, with error naming
/// the call, when fork, setsid or /dev/null fail.
Forked daemonize(std::string& error);

} // namespace syskit::inwatch

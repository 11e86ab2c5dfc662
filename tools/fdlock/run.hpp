// run: fdlock's two ways of holding a lock: on a descriptor of the shell, which keeps it
// after fdlock exits, or on a file while a command runs.
#pragma once

#include "options.hpp"

namespace syskit::fdlock {

/// Action::descriptor: locks o.fd as o.acquire asks, or unlocks it with -u.  Returns 0,
/// o.conflict_exit when someone else holds the lock, or exit_trouble with a message.
int lock_descriptor(const Options& o);

/// Action::run: opens o.operand, takes the lock, then runs the command (o.command, or
/// o.shell_command through $SHELL -c) with it held, as run_command does, or in fdlock's place
/// with --no-fork.  Returns the command's status (see run_command), o.conflict_exit when
/// someone else holds the lock, or exit_trouble with a message.  Throws std::system_error
/// when the event loop cannot be set up.
int lock_and_run(const Options& o);

} // namespace syskit::fdlock

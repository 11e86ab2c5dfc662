// supervise: running the command under the lock, with a deadline and signals passed on.
#pragma once

#include <string>
#include <vector>

namespace syskit::fdlock {

/// timeout(1)'s status for a command its deadline ended.
constexpr int exit_deadline = 124;
/// The shell's statuses for a command that could not be run: found but not executable,
/// and not found.
constexpr int exit_cannot_run = 126;
constexpr int exit_not_found = 127;

struct RunOptions {
    std::vector<std::string> argv;
    double deadline = 0; ///< seconds; 0: none
    double grace = 5;    ///< seconds between SIGTERM and SIGKILL once the deadline has passed
    bool verbose = false;
};

/// Runs the command in a session and process group of its own (see loop::SpawnOptions) and
/// waits for it.  SIGINT, SIGTERM and SIGHUP that fdlock receives are sent on to the group,
/// except those fdlock was started ignoring (nohup, a background job of a script).  When
/// the deadline passes, the group gets SIGTERM, and SIGKILL after grace if anything of it is
/// left; fdlock returns once the command has exited and its group is empty or was sent
/// SIGKILL.
/// Returns the command's status (128 + N when signal N killed it), exit_deadline when the
/// deadline passed, or exit_not_found / exit_cannot_run, with a message, when it could not
/// be started.  Throws std::system_error when the event loop cannot be set up.
int run_command(const RunOptions& o);

/// The command line for messages, quoted for a shell where needed.
std::string command_text(const std::vector<std::string>& argv);

} // namespace syskit::fdlock

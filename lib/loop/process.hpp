// process: a child process on a Loop (uv_spawn), in a session of its own when asked, so that
// what it starts in turn can be signalled and ended with it.
#pragma once

#include "loop/loop.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace syskit::loop {

struct SpawnOptions {
    /// The command: argv[0] is searched in PATH as execvp(3) does.  The child inherits
    /// the environment, the working directory, descriptors 0, 1 and 2 and every other
    /// descriptor without FD_CLOEXEC.  libuv resets every signal below 32 to its default
    /// disposition in the child, ignored ones included.
    std::vector<std::string> argv;
    /// setsid() in the child: it leads a new session and process group, whose id is its
    /// pid, and has no controlling terminal.  Signals sent to the group (kill_group(),
    /// terminate()) then reach its children and grandchildren too, unless they left the
    /// group themselves.
    bool new_session = false;
};

/// The status a shell reports for a process that exited with exit_status, or that a signal
/// killed: 128 + the signal's number, when term_signal is not 0.
int shell_status(std::int64_t exit_status, int term_signal);

class Process {
public:
    /// Called once, on the loop, when the child has exited, with shell_status().  It must
    /// not destroy the Process.
    using OnExit = std::function<void(int status)>;

    explicit Process(Loop& loop);
    /// A child still running is left running, and is not waited for.
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    /// Starts the child; call once.  Returns 0, or a negative libuv error when the command
    /// could not be started (UV_ENOENT: not found, UV_EACCES: not executable, ...), which
    /// libuv learns from the child before uv_spawn returns; on_exit is then never called.
    int spawn(const SpawnOptions& options, OnExit on_exit);

    pid_t pid() const;
    bool running() const;

    /// Sends signum to the child alone.  Returns 0 or errno (ESRCH once it has exited).
    int kill(int signum);
    /// Sends signum to the child's process group when it has one (new_session), else to the
    /// child alone.  The group may outlive the child.  Returns 0 or errno (ESRCH when no
    /// process is left in the group).
    int kill_group(int signum);
    /// Whether a process, the child or one it started, is left alive in the group (zombies
    /// do not count: it reads /proc to tell).
    bool group_alive() const;
    /// Ends the group: SIGTERM now, then SIGKILL grace seconds later if anything is left in
    /// it.  Calling it again does not postpone the SIGKILL.
    void terminate(double grace);
    /// Whether terminate() has had to send SIGKILL.
    bool killed() const { return killed_; }

private:
    struct State;
    Loop& loop_;
    State* s_;
    std::optional<Timer> grace_;
    bool killed_ = false;
};

} // namespace syskit::loop

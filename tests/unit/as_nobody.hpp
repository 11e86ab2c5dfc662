// as_nobody: runs a check as the unprivileged user nobody, for the permission errors that root,
// which the tests often run as, never meets.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

/// Runs check in a child process, as nobody (uid and gid 65534) when the tests run as root, and
/// returns what it returned; false when the child could not drop root or did not exit.
inline bool as_nobody(const std::function<bool()>& check) {
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        _exit(check() ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

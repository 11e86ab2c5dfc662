#include "daemon.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syskit::inwatch {

Forked daemonize(std::string& error) {
    auto failed = [&](const char* call) {
        error = std::string(call) + ": " + std::strerror(errno);
        return Forked::failed;
    };
    fs::UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null)
        return failed("open(/dev/null)");
    pid_t pid = fork();
    if (pid < 0)
        return failed("fork");
    if (pid > 0)
        return Forked::parent;
    // No controlling terminal, so a hangup of the shell that started it does not reach it,
    // and no hold on the terminal's input and output.
    if (setsid() < 0)
        return failed("setsid");
    // Not to hold a file system busy: the watches and the output file are open already, and
    // with -d there is no command to run where inwatch was started.
    if (chdir("/") < 0)
        return failed("chdir(/)");
    if (dup2(null.get(), STDIN_FILENO) < 0 || dup2(null.get(), STDOUT_FILENO) < 0)
        return failed("dup2(/dev/null)");
    // Diagnostics to syslog, as inotifywait -d sends them: a datagram socket connected to
    // /dev/log turns each diagnostic, one write(2), into one message.  Without a syslog
    // daemon, nowhere.
    fs::UniqueFd log(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/dev/log");
    bool logged = log && connect(log.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (dup2(logged ? log.get() : null.get(), STDERR_FILENO) < 0)
        return failed("dup2(/dev/log)");
    return Forked::child;
}

} // namespace syskit::inwatch

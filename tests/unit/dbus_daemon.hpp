// dbus_daemon: a private dbus-daemon for one test, started from a config of its own (no
// service activation, everything allowed) and stopped with the test.
#pragma once

#include "tmpdir.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

struct PrivateBus {
    TempDir dir;
    std::string address;
    pid_t pid = -1;

    PrivateBus() {
        std::string socket = dir / "bus";
        address = "unix:path=" + socket;
        dir.write("bus.conf", "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
                              " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                              "<busconfig><type>session</type><listen>" + address + "</listen>"
                              "<auth>EXTERNAL</auth>"
                              "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                              "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n");
        std::string conf = "--config-file=" + (dir / "bus.conf");
        std::string log = dir / "daemon.log";
        int ready[2];
        if (pipe2(ready, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        std::string print = "--print-address=3";
        pid = fork();
        if (pid == 0) {
            // Its complaints (as root it fails to raise its descriptor limit) go to a file.
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd >= 0)
                dup2(fd, 2);
            dup2(ready[1], 3);
            execlp("dbus-daemon", "dbus-daemon", conf.c_str(), print.c_str(), "--nofork", "--nopidfile",
                   "--nosyslog", static_cast<char*>(nullptr));
            _exit(127);
        }
        ::close(ready[1]);
        // The daemon prints its address once it accepts connections (the socket file alone
        // appears before listen()).
        pollfd p{ready[0], POLLIN, 0};
        char c = 0;
        bool up = ::poll(&p, 1, 10000) == 1 && ::read(ready[0], &c, 1) == 1;
        ::close(ready[0]);
        if (!up)
            throw std::runtime_error("dbus-daemon did not start");
    }
    ~PrivateBus() {
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
    }
    PrivateBus(const PrivateBus&) = delete;
    PrivateBus& operator=(const PrivateBus&) = delete;
};

#include "supervise.hpp"

#include "cli/diag.hpp"
#include "loop/loop.hpp"
#include "loop/process.hpp"
#include "out/text.hpp"

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <optional>

namespace syskit::fdlock {

namespace {

bool ignored(int sig) {
    struct sigaction sa;
    return sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

} // namespace

std::string command_text(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) {
        s += s.empty() ? "" : " ";
        s += out::shell_quote(a);
    }
    return s;
}

int run_command(const RunOptions& o) {
    loop::Loop loop;
    loop::Process child(loop);
    const std::string& name = o.argv.front();

    std::vector<loop::Signal> forwarders;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        if (!ignored(sig))
            forwarders.emplace_back(loop, sig, [&child](int s) { child.kill_group(s); });
    }

    bool timed_out = false;
    int status = 0;
    // After the deadline, the command's exit is not the end: what it started may linger in
    // its group until the SIGKILL.
    std::optional<loop::Timer> settle;
    auto finish_when_group_done = [&] {
        if (!child.group_alive() || child.killed())
            loop.stop();
    };
    int err = child.spawn({o.argv, true}, [&](int st) {
        status = st;
        if (!timed_out) {
            loop.stop();
            return;
        }
        settle.emplace(loop, finish_when_group_done);
        settle->start(0, 0.02);
    });
    if (err < 0) {
        cli::error(name, std::string("failed to execute: ") + std::strerror(-err));
        return err == UV_ENOENT ? exit_not_found : exit_cannot_run;
    }
    if (o.verbose)
        cli::note(name, "running as process group " + std::to_string(child.pid()));

    std::optional<loop::Timer> deadline;
    if (o.deadline > 0) {
        deadline.emplace(loop, [&] {
            timed_out = true;
            if (o.verbose)
                cli::note(name, "deadline of " + seconds_text(o.deadline) + " passed: SIGTERM to process group " +
                                     std::to_string(child.pid()) + ", SIGKILL after " + seconds_text(o.grace));
            child.terminate(o.grace);
        });
        deadline->start(o.deadline);
    }
    loop.run();
    if (o.verbose) {
        if (timed_out)
            cli::note(name, child.killed() ? "ended by SIGKILL" : "ended by the deadline");
        else
            cli::note(name, "exited with status " + std::to_string(status));
    }
    return timed_out ? exit_deadline : status;
}

} // namespace syskit::fdlock

#include "loop/process.hpp"

#include "fs/dir.hpp"
#include "fs/fd.hpp"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace syskit::loop {

int shell_status(std::int64_t exit_status, int term_signal) {
    if (term_signal != 0)
        return 128 + term_signal;
    return static_cast<int>(exit_status & 0xff);
}

namespace {

/// Whether a process of group pgid is alive, zombies aside: a zombie whose parent has died
/// stays in the group until init reaps it, and some containers' init never does.
bool live_member(pid_t pgid) {
    fs::DirReader proc = fs::DirReader::open(AT_FDCWD, "/proc");
    if (!proc)
        return true;
    std::string name, line;
    while (const fs::DirEntry* e = proc.next()) {
        if (e->name[0] < '1' || e->name[0] > '9')
            continue;
        name = e->name;
        name += "/stat";
        if (!fs::read_file(name.c_str(), line, SIZE_MAX, proc.fd()))
            continue;
        // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses.
        std::size_t paren = line.rfind(')');
        if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z')
            continue;
        char* end = nullptr;
        std::strtol(line.c_str() + paren + 3, &end, 10); // ppid
        if (std::strtol(end, nullptr, 10) == pgid)
            return true;
    }
    return false;
}

} // namespace

struct Process::State {
    uv_process_t handle;
    OnExit on_exit;
    bool initialized = false; ///< uv_spawn was called: the handle must be closed
    bool running = false;
    bool group = false;
    pid_t pid = 0;
};

Process::Process(Loop& loop) : loop_(loop), s_(new State{}) {}

Process::~Process() {
    grace_.reset();
    if (s_->initialized) {
        s_->on_exit = nullptr;
        detail::close_and_delete<State>(reinterpret_cast<uv_handle_t*>(&s_->handle));
    } else {
        delete s_;
    }
}

int Process::spawn(const SpawnOptions& options, OnExit on_exit) {
    std::vector<char*> args;
    for (const auto& a : options.argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    uv_stdio_container_t stdio[3];
    for (int fd = 0; fd < 3; ++fd) {
        stdio[fd].flags = UV_INHERIT_FD;
        stdio[fd].data.fd = fd;
    }
    uv_process_options_t o{};
    o.exit_cb = [](uv_process_t* h, std::int64_t exit_status, int term_signal) {
        auto* s = static_cast<State*>(h->data);
        s->running = false;
        if (s->on_exit)
            s->on_exit(shell_status(exit_status, term_signal));
    };
    o.file = args[0];
    o.args = args.data();
    o.stdio_count = 3;
    o.stdio = stdio;
    o.flags = options.new_session ? UV_PROCESS_DETACHED : 0;

    s_->on_exit = std::move(on_exit);
    s_->handle.data = s_;
    s_->initialized = true; // even a failed uv_spawn leaves a handle to close
    int err = uv_spawn(loop_.get(), &s_->handle, &o);
    if (err < 0)
        return err;
    s_->running = true;
    s_->group = options.new_session;
    s_->pid = s_->handle.pid;
    return 0;
}

pid_t Process::pid() const { return s_->pid; }

bool Process::running() const { return s_->running; }

int Process::kill(int signum) {
    // Once reaped, the pid may already belong to another process.
    if (!s_->running)
        return ESRCH;
    return ::kill(s_->pid, signum) == 0 ? 0 : errno;
}

int Process::kill_group(int signum) {
    if (!s_->group)
        return kill(signum);
    // A pid is not reused while a process group of that id has members, so the group can
    // be signalled after its leader was reaped.
    return ::kill(-s_->pid, signum) == 0 ? 0 : errno;
}

bool Process::group_alive() const {
    if (!s_->group)
        return s_->running;
    if (::kill(-s_->pid, 0) != 0 && errno != EPERM)
        return false;
    return live_member(s_->pid);
}

void Process::terminate(double grace) {
    kill_group(SIGTERM);
    if (grace_)
        return;
    grace_.emplace(loop_, [this] {
        if (group_alive()) {
            kill_group(SIGKILL);
            killed_ = true;
        }
    });
    grace_->start(grace);
}

} // namespace syskit::loop

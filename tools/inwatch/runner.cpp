#include "runner.hpp"

#include "cli/diag.hpp"

#include <cstdlib>

namespace syskit::inwatch {

namespace {

/// INWATCH_PATHS is cut to this, at a whole path: the kernel refuses an environment string
/// longer than MAX_ARG_STRLEN (128 KiB), and the command's arguments need room too.
constexpr std::size_t max_paths_bytes = 64 * 1024;

} // namespace

Runner::Runner(loop::Loop& loop, std::vector<std::string> argv, bool restart, double grace)
    : loop_(loop), argv_(std::move(argv)), restart_(restart), grace_(grace) {}

void Runner::changed(std::set<std::string> paths) {
    waiting_.insert(paths.begin(), paths.end());
    if (!child_) {
        start();
    } else if (restart_) {
        terminating_ = true;
        child_->terminate(grace_); // start() follows once its group is gone
    }
}

void Runner::stop(std::function<void()> done) {
    stopping_ = true;
    done_ = std::move(done);
    waiting_.clear();
    if (child_) {
        terminating_ = true;
        child_->terminate(grace_);
    } else {
        done_();
    }
}

void Runner::start() {
    std::string list;
    for (const auto& p : waiting_) {
        if (list.size() + 1 + p.size() > max_paths_bytes)
            break;
        list += (list.empty() ? "" : "\n") + p;
    }
    // The child inherits the environment: the paths reach it through it.
    setenv("INWATCH_PATHS", list.c_str(), 1);
    setenv("INWATCH_COUNT", std::to_string(waiting_.size()).c_str(), 1);
    waiting_.clear();
    child_.emplace(loop_);
    int err = child_->spawn(loop::SpawnOptions{argv_, true}, [this](int) {
        // Let the loop finish with the handle before it goes.  A command we ended keeps
        // its Process, and so the SIGKILL due after the grace period, until nothing is left
        // of its process group: what ignored SIGTERM must not outlive it.
        finished_.emplace(loop_, [this] {
            if (terminating_ && child_->group_alive())
                return;
            terminating_ = false;
            child_.reset();
            finished_.reset();
            if (stopping_)
                done_();
            else if (!waiting_.empty())
                start();
        });
        finished_->start(0, 0.02);
    });
    if (err < 0) {
        cli::error(argv_[0], uv_strerror(err));
        child_.reset();
    }
}

} // namespace syskit::inwatch

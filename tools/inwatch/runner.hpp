// runner: the --exec command, run after each burst of events, one run at a time.
#pragma once

#include "loop/loop.hpp"
#include "loop/process.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace syskit::inwatch {

/// Runs the command after each burst of events, one run at a time.  The changed paths
/// reach it in INWATCH_PATHS (one a line, cut at a whole path past 64 KiB) and their
/// number in INWATCH_COUNT.  Paths that change while it runs are kept for the next run.
class Runner {
public:
    /// argv: the command; restart: a burst ends a command still running (its whole process
    /// group) and starts it again; grace: seconds between SIGTERM and SIGKILL when ending it.
    Runner(loop::Loop& loop, std::vector<std::string> argv, bool restart, double grace);

    /// A burst settled: paths changed.
    void changed(std::set<std::string> paths);

    /// Ends the command, if one runs, and calls done once nothing is left of it.
    void stop(std::function<void()> done);

private:
    void start();

    loop::Loop& loop_;
    std::vector<std::string> argv_;
    bool restart_;
    double grace_;
    std::optional<loop::Process> child_;
    std::optional<loop::Timer> finished_;
    std::set<std::string> waiting_;
    bool stopping_ = false;
    bool terminating_ = false;
    std::function<void()> done_;
};

} // namespace syskit::inwatch

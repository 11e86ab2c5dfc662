// progress: a status line on stderr for long work, shown only on a terminal.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace syskit::out {

/// Redraws status() on stderr every 200 ms from a thread of its own while it lives, then
/// erases the line.  Does nothing when stderr is not a terminal or enabled is false
/// (--quiet), so pipelines, cron mail and journald never see it.
class Progress {
public:
    /// status: called from the progress thread; it must only read atomics or take its own lock.
    Progress(bool enabled, std::function<std::string()> status);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Stops redrawing and erases the line; call before printing results.
    void stop();

    /// Whether the line is drawn: the work need not count for it otherwise.
    bool shown() const { return thread_.joinable(); }

private:
    std::function<std::string()> status_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

} // namespace syskit::out

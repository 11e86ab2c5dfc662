#include "out/progress.hpp"

#include <unistd.h>

#include <chrono>

namespace syskit::out {

Progress::Progress(bool enabled, std::function<std::string()> status) : status_(std::move(status)) {
    if (!enabled || isatty(STDERR_FILENO) != 1)
        return;
    thread_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; })) {
            std::string line = "\r\033[K" + status_();
            (void)!::write(STDERR_FILENO, line.data(), line.size());
        }
        (void)!::write(STDERR_FILENO, "\r\033[K", 4);
    });
}

void Progress::stop() {
    {
        std::lock_guard lock(mu_);
        done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

Progress::~Progress() { stop(); }

} // namespace syskit::out

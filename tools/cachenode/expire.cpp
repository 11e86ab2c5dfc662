#include "expire.hpp"

#include <pthread.h>

#include <csignal>

namespace syskit::cachenode {

std::uint64_t ActiveExpiry::cycle(std::chrono::microseconds budget) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + budget;
    std::uint64_t deleted = 0;
    unsigned shards = store_.shard_count();
    for (unsigned visited = 0; visited < shards; ++visited) {
        unsigned shard = next_shard_;
        next_shard_ = (next_shard_ + 1) % shards;
        for (;;) {
            ExpireSample r = store_.expire_sample(shard, sample_size);
            deleted += r.expired;
            if (clock::now() >= deadline)
                return deleted;
            // Few expired in the sample: few are left to find in this shard.
            if (r.sampled == 0 || r.expired * 4 <= r.sampled)
                break;
        }
    }
    return deleted;
}

ExpiryThread::ExpiryThread(Store& store, std::chrono::milliseconds period, std::function<bool()> paused)
    : expiry_(store), period_(period), paused_(std::move(paused)), thread_([this] { run(); }) {}

ExpiryThread::~ExpiryThread() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void ExpiryThread::run() {
    // Signals are for the event loop that watches them, never for this thread (a thread's mask
    // is not always inherited: sanitizer runtimes reset it).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
        if (paused_ && paused_())
            continue;
        lock.unlock();
        expiry_.cycle(std::chrono::duration_cast<std::chrono::microseconds>(period_) / 4);
        lock.lock();
    }
}

} // namespace syskit::cachenode

// expire: active expiry, Redis's way: sample keys that have a TTL, delete the expired ones, and
// sample the same shard again while more than a quarter of a sample had expired.
//
// Lazy expiry (an expired key found by a command is deleted then) is in store.cpp; this catches
// keys that nobody asks for again.  Neither ever scans every key: a cycle looks at random
// samples of 20, one shard at a time, under that shard's lock only, within a time budget.
#pragma once

#include "store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace syskit::cachenode {

class ActiveExpiry {
public:
    static constexpr unsigned sample_size = 20;

    explicit ActiveExpiry(Store& store) : store_(store) {}

    /// One cycle over the shards, starting where the last one stopped, for at most budget.
    /// Returns the number of keys it deleted.
    std::uint64_t cycle(std::chrono::microseconds budget);

private:
    Store& store_;
    unsigned next_shard_ = 0;
};

/// A thread that runs ActiveExpiry::cycle every period (10 times a second by default, with a
/// budget of a quarter of the period, as Redis's hz 10 and 25% do) until destroyed, skipping
/// the cycles during which paused() (when given) is true.
class ExpiryThread {
public:
    explicit ExpiryThread(Store& store, std::chrono::milliseconds period = std::chrono::milliseconds(100),
                          std::function<bool()> paused = {});
    ~ExpiryThread();
    ExpiryThread(const ExpiryThread&) = delete;
    ExpiryThread& operator=(const ExpiryThread&) = delete;

private:
    void run();

    ActiveExpiry expiry_;
    std::chrono::milliseconds period_;
    std::function<bool()> paused_;
    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace syskit::cachenode

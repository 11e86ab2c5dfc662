#pragma once

#include <uv.h>

#include <cstdint>

namespace syskit::net {

/// How a loop waits once it has run out of work: one per loop, shared by every Server on it.
///
/// A loop that sleeps in epoll_wait has to be woken by the next request: the client's write
/// goes through the scheduler to make the loop's thread runnable (an interprocessor interrupt
/// when it sleeps on another CPU), and the client pays for that in its own system time.  Under
/// load that happens for almost every batch of requests.  So when the request that ended the
/// loop's last sleep came less than window_us after the sleep began, the next one is likely to
/// come as soon: the loop polls with a zero timeout instead of sleeping (an active idle handle
/// makes libuv do so), for up to window_us after each read that brought data, and then sleeps
/// again.  A loop whose requests come further apart than that never polls.  Between polls it
/// yields its CPU to any other thread waiting for it.
class Poller {
public:
    /// window_us 0: the loop always sleeps.
    Poller(uv_loop_t* loop, std::uint64_t window_us);
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    /// Starts watching the loop's turns.
    void start();
    /// Closes the loop's handles (before the loop closes).
    void close();
    /// A read brought data: called by the servers on the loop.
    void read() {
        if (reads_++ == reads_seen_)
            first_read_ns_ = uv_hrtime(); // the first of this turn: the end of its poll's sleep
    }

private:
    static void on_prepare(uv_prepare_t* h);
    static void on_check(uv_check_t* h);
    static void on_idle(uv_idle_t* h);

    uv_loop_t* loop_;
    std::uint64_t window_ns_;
    bool started_ = false;
    // The prepare handle runs just before each poll, the check handle just after.
    uv_prepare_t prepare_{};
    uv_check_t check_{};
    uv_idle_t idle_{};
    bool polling_ = false;          ///< the idle handle is active
    std::uint64_t poll_began_ns_ = 0; ///< when this turn's poll began (and maybe slept)
    std::uint64_t reads_ = 0;
    std::uint64_t reads_seen_ = 0;
    std::uint64_t first_read_ns_ = 0;
    std::uint64_t last_read_ns_ = 0;
};

} // namespace syskit::net

// loop: RAII wrappers over libuv's event loop, timers and signal handlers.
//
// A handle (Timer, Signal, Poll, Process) lives on its Loop: destroy every handle before the loop.
// Destroying a handle stops it at once, no callback of it runs afterwards, and libuv frees
// its memory on the loop's next turn, or when the Loop itself is destroyed.  Callbacks run
// on the thread that runs the loop.  A failure to set up a loop or handle (no descriptors
// left, for instance) throws std::system_error naming the libuv call.
#pragma once

#include <uv.h>

#include <functional>

namespace syskit::loop {

class Loop {
public:
    /// uv_loop_init.
    Loop();
    /// Closes any handle left, lets libuv finish closing them, then uv_loop_close.
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    /// Runs callbacks until stop() is called or nothing is left to wait for (no active
    /// handle).
    void run();
    /// Makes run() return once the current callback returns.
    void stop();

    uv_loop_t* get() { return &loop_; }

private:
    uv_loop_t loop_;
};

/// A timer: on_fire runs after a delay, then every repeat seconds if repeat is not zero.
class Timer {
public:
    Timer(Loop& loop, std::function<void()> on_fire);
    ~Timer();
    Timer(Timer&& o) noexcept;
    Timer& operator=(Timer&&) = delete;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    /// (Re)starts the timer: fires after seconds, then every repeat seconds (0: once).
    /// Times are rounded up to whole milliseconds, libuv's resolution.
    void start(double seconds, double repeat = 0);
    void stop();
    bool active() const;

private:
    struct State;
    State* s_;
};

/// A signal handler: on_signal(signum) runs on the loop each time signum arrives, for as
/// long as the Signal lives.  Several arrivals before the loop looks may be coalesced into
/// one call.  While it lives, the signal no longer has its previous disposition (a default
/// SIGTERM no longer kills the process), and libuv restores it when the last Signal for
/// that signal number goes away.
class Signal {
public:
    Signal(Loop& loop, int signum, std::function<void(int)> on_signal);
    ~Signal();
    Signal(Signal&& o) noexcept;
    Signal& operator=(Signal&&) = delete;
    Signal(const Signal&) = delete;
    Signal& operator=(const Signal&) = delete;

private:
    struct State;
    State* s_;
};

namespace detail {
/// uv_close() on the handle, then delete of its owner (the handle's data, of type T).
template <class T>
void close_and_delete(uv_handle_t* h) {
    if (uv_is_closing(h))
        return;
    uv_close(h, [](uv_handle_t* closed) { delete static_cast<T*>(closed->data); });
}
/// Throws std::system_error for a libuv error (a negative errno) of call.
void check(int uv_error, const char* call);
} // namespace detail

} // namespace syskit::loop

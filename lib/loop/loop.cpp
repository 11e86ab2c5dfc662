#include "loop/loop.hpp"

#include <cmath>
#include <system_error>
#include <utility>

namespace syskit::loop {

namespace detail {
void check(int uv_error, const char* call) {
    // On Unix a libuv error is a negated errno.
    if (uv_error < 0)
        throw std::system_error(-uv_error, std::generic_category(), call);
}
} // namespace detail

Loop::Loop() { detail::check(uv_loop_init(&loop_), "uv_loop_init"); }

Loop::~Loop() {
    // A handle still open here outlived its wrapper's rules; close it so the loop can be.
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h))
                uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
}

void Loop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Loop::stop() { uv_stop(&loop_); }

namespace {
std::uint64_t to_ms(double seconds) {
    if (!(seconds > 0))
        return 0;
    return static_cast<std::uint64_t>(std::ceil(seconds * 1000));
}
} // namespace

struct Timer::State {
    uv_timer_t handle;
    std::function<void()> on_fire;
};

Timer::Timer(Loop& loop, std::function<void()> on_fire) : s_(new State{{}, std::move(on_fire)}) {
    uv_timer_init(loop.get(), &s_->handle); // cannot fail
    s_->handle.data = s_;
}

Timer::Timer(Timer&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

Timer::~Timer() {
    if (s_ == nullptr)
        return;
    uv_timer_stop(&s_->handle);
    detail::close_and_delete<State>(reinterpret_cast<uv_handle_t*>(&s_->handle));
}

void Timer::start(double seconds, double repeat) {
    // libuv counts from the time it cached when the loop last woke up, which is stale when
    // the caller has been busy since (spawning, waiting): without this the timer fires early.
    uv_update_time(s_->handle.loop);
    uv_timer_start(
        &s_->handle, [](uv_timer_t* h) { static_cast<State*>(h->data)->on_fire(); }, to_ms(seconds), to_ms(repeat));
}

void Timer::stop() { uv_timer_stop(&s_->handle); }

bool Timer::active() const { return uv_is_active(reinterpret_cast<const uv_handle_t*>(&s_->handle)) != 0; }

struct Signal::State {
    uv_signal_t handle;
    std::function<void(int)> on_signal;
};

Signal::Signal(Loop& loop, int signum, std::function<void(int)> on_signal) : s_(new State{{}, std::move(on_signal)}) {
    int err = uv_signal_init(loop.get(), &s_->handle);
    if (err < 0) {
        delete s_;
        detail::check(err, "uv_signal_init");
    }
    s_->handle.data = s_;
    err = uv_signal_start(
        &s_->handle, [](uv_signal_t* h, int sig) { static_cast<State*>(h->data)->on_signal(sig); }, signum);
    if (err < 0) {
        detail::close_and_delete<State>(reinterpret_cast<uv_handle_t*>(&s_->handle));
        detail::check(err, "uv_signal_start");
    }
}

Signal::Signal(Signal&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

Signal::~Signal() {
    if (s_ == nullptr)
        return;
    uv_signal_stop(&s_->handle);
    detail::close_and_delete<State>(reinterpret_cast<uv_handle_t*>(&s_->handle));
}

} // namespace syskit::loop

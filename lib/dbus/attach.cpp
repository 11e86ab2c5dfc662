#include "dbus/attach.hpp"

#include <poll.h>
#include <time.h>

namespace syskit::dbus {

struct Attachment::State {
    uv_poll_t poll;
    uv_timer_t timer;
    uv_prepare_t prepare;
    Bus* bus;
    std::function<void(const Failure&)> on_lost;
    int open_handles = 0;
    bool lost = false;
};

namespace {

using State = Attachment::State;

void stop_all(State* s) {
    uv_poll_stop(&s->poll);
    uv_timer_stop(&s->timer);
    uv_prepare_stop(&s->prepare);
}

void on_closed(uv_handle_t* h) {
    auto* s = static_cast<State*>(h->data);
    if (--s->open_handles == 0)
        delete s;
}

void dispatch(State* s);

/// Points the poll and the timer at what sd-bus waits for now.
void rearm(State* s) {
    sd_bus* b = s->bus->get();
    int events = sd_bus_get_events(b);
    if (events < 0) {
        dispatch(s);
        return;
    }
    int uv_events = ((events & POLLIN) ? UV_READABLE : 0) | ((events & POLLOUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, uv_events, [](uv_poll_t* h, int, int) { dispatch(static_cast<State*>(h->data)); });
    std::uint64_t deadline = 0;
    if (sd_bus_get_timeout(b, &deadline) < 0 || deadline == UINT64_MAX) {
        uv_timer_stop(&s->timer);
        return;
    }
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    std::uint64_t now_us = static_cast<std::uint64_t>(now.tv_sec) * 1000000 + static_cast<std::uint64_t>(now.tv_nsec) / 1000;
    std::uint64_t ms = deadline > now_us ? (deadline - now_us + 999) / 1000 : 0;
    uv_update_time(s->timer.loop);
    uv_timer_start(&s->timer, [](uv_timer_t* h) { dispatch(static_cast<State*>(h->data)); }, ms, 0);
}

void dispatch(State* s) {
    if (s->lost)
        return;
    Failure f;
    if (!s->bus->process(f)) {
        s->lost = true;
        stop_all(s);
        s->on_lost(f);
        return;
    }
    rearm(s);
}

} // namespace

Attachment::Attachment(loop::Loop& loop, Bus& bus, std::function<void(const Failure&)> on_lost)
    : s_(new State{{}, {}, {}, &bus, std::move(on_lost)}) {
    int fd = sd_bus_get_fd(bus.get());
    int err = fd < 0 ? fd : uv_poll_init(loop.get(), &s_->poll, fd);
    if (err < 0) {
        delete s_;
        loop::detail::check(err, "uv_poll_init(bus)");
    }
    uv_timer_init(loop.get(), &s_->timer);
    uv_prepare_init(loop.get(), &s_->prepare);
    s_->poll.data = s_->timer.data = s_->prepare.data = s_;
    s_->open_handles = 3;
    // Before each sleep: a synchronous call may have read signals into sd-bus's queue, which
    // no longer makes the descriptor readable, and may have queued writes.
    uv_prepare_start(&s_->prepare, [](uv_prepare_t* h) { dispatch(static_cast<State*>(h->data)); });
    rearm(s_);
}

Attachment::~Attachment() {
    stop_all(s_);
    uv_close(reinterpret_cast<uv_handle_t*>(&s_->poll), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&s_->timer), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&s_->prepare), on_closed);
}

} // namespace syskit::dbus

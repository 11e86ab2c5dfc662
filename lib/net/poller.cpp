#include "net/poller.hpp"

#include <sched.h>

namespace syskit::net {

Poller::Poller(uv_loop_t* loop, std::uint64_t window_us) : loop_(loop), window_ns_(window_us * 1000) {}

void Poller::start() {
    if (!window_ns_ || started_)
        return;
    uv_prepare_init(loop_, &prepare_);
    uv_check_init(loop_, &check_);
    uv_idle_init(loop_, &idle_);
    prepare_.data = check_.data = idle_.data = this;
    uv_prepare_start(&prepare_, on_prepare);
    uv_check_start(&check_, on_check);
    // Neither may keep the loop running once its servers have stopped.
    uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
    started_ = true;
}

void Poller::close() {
    if (!started_)
        return;
    started_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
}

void Poller::on_prepare(uv_prepare_t* h) {
    auto* p = static_cast<Poller*>(h->data);
    if (!p->polling_) // only on_check's test for starting to poll reads it
        p->poll_began_ns_ = uv_hrtime();
}

void Poller::on_check(uv_check_t* h) {
    auto* p = static_cast<Poller*>(h->data);
    if (p->reads_ == p->reads_seen_)
        return;
    p->reads_seen_ = p->reads_;
    p->last_read_ns_ = uv_hrtime();
    // A poll that did not sleep (a zero timeout: the loop had more to do) and found a read counts
    // as a short sleep too: requests are coming while the loop is busy.
    if (!p->polling_ && p->first_read_ns_ - p->poll_began_ns_ < p->window_ns_) {
        uv_idle_start(&p->idle_, on_idle);
        p->polling_ = true;
    }
}

void Poller::on_idle(uv_idle_t* h) {
    auto* p = static_cast<Poller*>(h->data);
    if (uv_hrtime() - p->last_read_ns_ > p->window_ns_) {
        uv_idle_stop(&p->idle_);
        p->polling_ = false;
        return;
    }
    // A loop sharing its CPU with a client or another server would take the time they need to
    // send it anything: the CPU goes to them first when they are runnable, and the poll comes
    // straight back when none is.
    sched_yield();
}

} // namespace syskit::net

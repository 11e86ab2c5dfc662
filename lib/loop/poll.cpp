#include "loop/poll.hpp"

namespace syskit::loop {

struct Poll::State {
    uv_poll_t handle;
    std::function<void()> on_readable;
};

Poll::Poll(Loop& loop, int fd, std::function<void()> on_readable) : s_(new State{{}, std::move(on_readable)}) {
    int err = uv_poll_init(loop.get(), &s_->handle, fd);
    if (err < 0) {
        delete s_;
        detail::check(err, "uv_poll_init");
    }
    s_->handle.data = s_;
    uv_poll_start(&s_->handle, UV_READABLE, [](uv_poll_t* h, int, int) { static_cast<State*>(h->data)->on_readable(); });
}

Poll::~Poll() {
    uv_poll_stop(&s_->handle);
    detail::close_and_delete<State>(reinterpret_cast<uv_handle_t*>(&s_->handle));
}

} // namespace syskit::loop

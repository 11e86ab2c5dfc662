// poll: a descriptor watched by the loop for readability (uv_poll).
#pragma once

#include "loop/loop.hpp"

namespace syskit::loop {

/// Runs on_readable on the loop whenever fd has something to read, for as long as the
/// Poll lives (level-triggered: read until EAGAIN, or it fires again).
class Poll {
public:
    Poll(Loop& loop, int fd, std::function<void()> on_readable);
    ~Poll();
    Poll(const Poll&) = delete;
    Poll& operator=(const Poll&) = delete;

private:
    struct State;
    State* s_;
};

} // namespace syskit::loop

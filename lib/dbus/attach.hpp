// dbus/attach: a Bus driven by the libuv loop of lib/loop, so replies and signals run as loop
// callbacks beside timers and other descriptors.
#pragma once

#include "dbus/bus.hpp"
#include "loop/loop.hpp"

#include <functional>

namespace syskit::dbus {

/// While it lives, the loop watches bus's descriptor (for reading, and for writing while
/// messages are queued) and sd-bus's own deadline (pending call timeouts), and dispatches
/// with Bus::process().  Messages sd-bus already read while a synchronous call waited are
/// dispatched before the loop next sleeps.  Destroy it before the Bus and the Loop.
class Attachment {
public:
    /// on_lost runs once if the connection fails (the bus daemon went away); the
    /// attachment then stops watching.  Throws std::system_error if libuv cannot watch the
    /// descriptor.
    Attachment(loop::Loop& loop, Bus& bus, std::function<void(const Failure&)> on_lost);
    ~Attachment();
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;

    struct State; ///< the libuv handles, freed once libuv has closed them all

private:
    State* s_;
};

} // namespace syskit::dbus

// watch: `btprox watch`, one device's RSSI followed from BlueZ's signals, and the actions
// run when it goes away or comes near.
#pragma once

#include "options.hpp"

#include "log/log.hpp"

namespace syskit::btprox {

/// Follows o.device until SIGINT or SIGTERM (exit 0), or until bluetoothd or the bus goes
/// away (exit 2).  Set-up failures (no bus, no bluetoothd, no adapter, no session to lock)
/// are reported on stderr and return 2 before anything is watched.
int watch(const Options& o, log::Logger& log);

} // namespace syskit::btprox

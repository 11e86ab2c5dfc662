// bench: the book's claim that Unix sockets beat loopback TCP, measured: ping-pong latency and
// bulk throughput over each, side by side, in one process (a thread serves the other end).
#pragma once

#include "options.hpp"

namespace syskit::sockkit {

/// sockkit bench: prints one line per transport (unix, tcp) with p50 and p99 round-trip
/// latency and bulk throughput, then the ratios; the exit status.
int bench(const Options& o);

} // namespace syskit::sockkit

// pump: standard input to standard output as fast as the kernel can move it: splice(2) when a
// side is a pipe, read/write otherwise; with a buffer of its own to absorb bursts, a rate
// limit, and a progress line on a terminal.
#pragma once

#include "options.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace syskit::pipekit {

/// The progress line: bytes so far, rate, and with a known size the percentage and the time
/// left: "1.5G 240M/s 37% ETA 0:00:06".  elapsed in seconds.
std::string progress_line(std::uint64_t done, double elapsed, std::optional<std::uint64_t> size);

/// Runs `pipekit pump`.  Returns the exit status: 0, or 2 when a read, write or splice fails
/// (named with the side it failed on).  A reader of standard output that goes away ends it
/// with SIGPIPE, as it does cat.
int pump(const PumpOptions& o);

} // namespace syskit::pipekit

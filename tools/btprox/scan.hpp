// scan: `btprox scan`, discovery for a while, then the adapter's devices with their RSSI.
#pragma once

#include "bluez.hpp"
#include "options.hpp"

#include "out/text.hpp"

#include <string>
#include <vector>

namespace syskit::btprox {

/// Discovers for o.timeout seconds (SIGINT or SIGTERM end it early) and writes the devices of
/// the adapter to sink.  Returns the exit status; errors are reported on stderr.
int scan(const Options& o, out::Sink& sink);

/// One device as a line of the text table, or as a JSON object (rssi null when BlueZ has none).
std::string device_text(const Device& d, bool escape);
std::string device_json(const Device& d, const std::string& adapter);
/// The text table's header line.
std::string device_header();

} // namespace syskit::btprox

// scan: `btprox scan`, discovery for a while, then the adapter's devices with their RSSI.
#pragma once

#include "bluez.hpp"
#include "options.hpp"

#include "out/text.hpp"

#include <string>
#include <vector>

namespace syskit::btprox {

/// Discovers for o.timeout seconds (SIGINT or SIGTERM end it early) and writes the devices of
/// the adapter to sink.  Returns the exit status; errors are reported on stderr.  color:
/// as device_text's.
int scan(const Options& o, out::Sink& sink, bool color);

/// One device as a line of the text table, or as a JSON object (rssi null when BlueZ has none).
/// color (--color): a connected device's CONNECTED in green.
std::string device_text(const Device& d, bool escape, bool color = false);
std::string device_json(const Device& d, const std::string& adapter);
/// The text table's header line.
std::string device_header();

} // namespace syskit::btprox

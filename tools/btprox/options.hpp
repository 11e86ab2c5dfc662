// options: btprox's command line (scan, watch), parsed into one struct and checked as a whole.
#pragma once

#include "bluez.hpp"
#include "tracker.hpp"

#include "cli/diag.hpp"
#include "log/log.hpp"

#include <optional>
#include <string>

// Declared, not included: the modules that take an Options never parse a command line.
namespace CLI {
class App;
}

namespace syskit::btprox {

enum class Subcommand { scan, watch };

struct Options {
    Subcommand subcommand = Subcommand::scan;
    std::string adapter;          ///< --adapter: hci0; empty for the first one
    bool power_on = false;        ///< --power-on: turn a powered-off adapter on
    std::string transport;        ///< SetDiscoveryFilter's Transport: auto, le or bredr
    double timeout = 10;          ///< scan: seconds of discovery
    bool json = false;            ///< scan: --format json
    DeviceMatch device;           ///< watch: --device or --name
    TrackerConfig tracker;        ///< watch: --away, --near, --window, --smooth, --lost
    bool lock = false;            ///< watch: --lock
    double lock_wait = 2;         ///< watch: seconds the desktop has to lock
    std::string on_away, on_near; ///< watch: shell commands run on each transition
    log::Format log_format = log::Format::logfmt; ///< watch: --log-format
    bool verbose = false;         ///< watch: log every RSSI sample

    /// The raw text of the options parsed by finish().
    struct Raw {
        std::string timeout, away, near, window, lost, lock_wait, smooth = "median", transport;
    } raw;
};

/// Declares btprox's subcommands and their options on app, storing into o.raw and o.  The
/// caller's cli::Tool adds --format.
void add_options(CLI::App& app, Options& o);

/// Turns o.raw into o's typed fields and checks them (which subcommand ran is read from app):
/// what is wrong with the command line, or nullopt.
std::optional<cli::Problem> finish(const CLI::App& app, Options& o);

} // namespace syskit::btprox

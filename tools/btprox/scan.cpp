#include "scan.hpp"

#include "cli/diag.hpp"
#include "loop/loop.hpp"
#include "out/color.hpp"
#include "out/json.hpp"

#include <fmt/format.h>

#include <signal.h>

namespace syskit::btprox {

std::string device_header() { return fmt::format("{:<17}  {:>4}  {:<6}  {:<9}  {}", "ADDRESS", "RSSI", "PAIRED", "CONNECTED", "NAME"); }

std::string device_text(const Device& d, bool escape, bool color) {
    std::string connected = out::paint(fmt::format("{:<9}", d.connected ? "yes" : "no"), out::sgr::green, color && d.connected);
    return fmt::format("{:<17}  {:>4}  {:<6}  {}  {}", d.address, d.rssi ? std::to_string(*d.rssi) : "-",
                       d.paired ? "yes" : "no", connected, out::shown(d.name, escape));
}

std::string device_json(const Device& d, const std::string& adapter) {
    out::Object o;
    o.add("address", d.address).add("address_type", d.address_type).add("name", d.name);
    if (d.rssi)
        o.add("rssi", *d.rssi);
    else
        o.add_raw("rssi", "null");
    o.add("paired", d.paired).add("connected", d.connected).add("adapter", adapter);
    return o.str();
}

int scan(const Options& o, out::Sink& sink, bool color) {
    dbus::Failure f;
    dbus::Bus bus = dbus::Bus::connect(dbus::BusKind::system, f);
    if (!bus) {
        cli::error("", f.text);
        return cli::exit_trouble;
    }
    Adapter adapter;
    dbus::Dict objects;
    std::string error;
    if (!open_adapter(bus, o.adapter, o.power_on, adapter, objects, error) ||
        !start_discovery(bus, adapter, o.transport, error)) {
        cli::error("", error);
        return cli::exit_trouble;
    }
    {
        loop::Loop loop;
        loop::Timer done(loop, [&] { loop.stop(); });
        loop::Signal sigint(loop, SIGINT, [&](int) { loop.stop(); });
        loop::Signal sigterm(loop, SIGTERM, [&](int) { loop.stop(); });
        done.start(o.timeout);
        loop.run();
    }
    // Read before StopDiscovery: BlueZ clears the devices' RSSI when discovery stops.
    objects.clear();
    if (!bus.managed_objects(bluez_service, "/", bluez_timeout, objects, f)) {
        cli::error("", f.text);
        return cli::exit_trouble;
    }
    if (!stop_discovery(bus, adapter, error)) {
        cli::error("", error);
        return cli::exit_trouble;
    }
    bool escape = out::escape_stdout();
    auto devices = devices_of(objects, adapter.path);
    if (!o.json)
        sink.line(device_header());
    for (auto& d : devices)
        sink.line(o.json ? device_json(d, adapter.name) : device_text(d, escape, color));
    return cli::exit_ok;
}

} // namespace syskit::btprox

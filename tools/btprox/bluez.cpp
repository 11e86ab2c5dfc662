#include "bluez.hpp"

#include <fmt/format.h>

#include <strings.h>

#include <algorithm>

namespace syskit::btprox {

using dbus::Dict;
using dbus::Failure;
using dbus::Target;
using dbus::Value;

namespace {

std::string text(const Value& v) { return v.string() ? *v.string() : std::string(); }

std::string last_component(const std::string& path) { return path.substr(path.rfind('/') + 1); }

/// bluetoothd's absence, said as such; other failures as sd-bus reported them.
std::string bluez_failure(const Failure& f) {
    if (f.name == "org.freedesktop.DBus.Error.ServiceUnknown" || f.name == "org.freedesktop.DBus.Error.NameHasNoOwner")
        return "org.bluez: bluetoothd is not running (no owner of org.bluez on the system bus)";
    return f.text;
}

} // namespace

Device device_from(const std::string& path, const Dict& props) {
    Device d;
    d.path = path;
    auto get = [&](const char* k) -> const Value& {
        static const Value none;
        auto it = props.find(k);
        return it == props.end() ? none : it->second;
    };
    d.adapter = text(get("Adapter"));
    d.address = text(get("Address"));
    d.address_type = text(get("AddressType"));
    d.name = text(get("Alias"));
    if (d.name.empty())
        d.name = text(get("Name"));
    if (auto r = get("RSSI").integer())
        d.rssi = static_cast<int>(*r);
    d.paired = get("Paired").boolean().value_or(false);
    d.connected = get("Connected").boolean().value_or(false);
    return d;
}

bool pick_adapter(const Dict& objects, const std::string& want, Adapter& out, std::string& error) {
    std::vector<std::string> names;
    for (auto& [path, ifaces] : objects) {
        const Value& props = ifaces[adapter_iface];
        if (props.empty())
            continue;
        std::string name = last_component(path);
        names.push_back(name);
        if (!want.empty() && name != want)
            continue;
        if (out.path.empty() || (want.empty() && name < out.name)) {
            out.path = path;
            out.name = name;
            out.address = text(props["Address"]);
            out.powered = props["Powered"].boolean().value_or(false);
        }
    }
    if (!out.path.empty())
        return true;
    if (names.empty())
        error = want.empty() ? "no Bluetooth adapter (bluetoothd has none)" : fmt::format("{}: no such adapter (bluetoothd has none)", want);
    else
        error = fmt::format("{}: no such adapter ({} {} there)", want, fmt::join(names, ", "),
                            names.size() == 1 ? "is" : "are");
    return false;
}

std::vector<Device> devices_of(const Dict& objects, const std::string& adapter_path) {
    std::vector<Device> out;
    for (auto& [path, ifaces] : objects) {
        const Value& props = ifaces[device_iface];
        if (props.dict() == nullptr)
            continue;
        Device d = device_from(path, *props.dict());
        if (d.adapter == adapter_path || (d.adapter.empty() && path.starts_with(adapter_path + "/")))
            out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const Device& a, const Device& b) { return a.address < b.address; });
    return out;
}

bool open_adapter(dbus::Bus& bus, const std::string& want, bool power_on, Adapter& adapter, Dict& objects,
                  std::string& error) {
    Failure f;
    if (!bus.managed_objects(bluez_service, "/", bluez_timeout, objects, f)) {
        error = bluez_failure(f);
        return false;
    }
    if (!pick_adapter(objects, want, adapter, error))
        return false;
    if (adapter.powered)
        return true;
    if (!power_on) {
        error = fmt::format("{}: the adapter is powered off (--power-on turns it on)", adapter.name);
        return false;
    }
    if (!bus.set_property({bluez_service, adapter.path, adapter_iface}, "Powered", true, bluez_timeout, f)) {
        error = fmt::format("{}: powering on: {}", adapter.name, bluez_failure(f));
        return false;
    }
    adapter.powered = true;
    return true;
}

bool start_discovery(dbus::Bus& bus, const Adapter& adapter, const std::string& transport, std::string& error) {
    Failure f;
    Target t{bluez_service, adapter.path, adapter_iface};
    std::vector<Value> reply;
    Dict filter{{"Transport", transport}, {"DuplicateData", true}};
    if (!bus.call(t, "SetDiscoveryFilter", {Value(filter)}, bluez_timeout, reply, f)) {
        error = bluez_failure(f);
        return false;
    }
    if (!bus.call(t, "StartDiscovery", {}, bluez_timeout, reply, f) && f.name != "org.bluez.Error.InProgress") {
        error = bluez_failure(f);
        return false;
    }
    return true;
}

bool stop_discovery(dbus::Bus& bus, const Adapter& adapter, std::string& error) {
    Failure f;
    std::vector<Value> reply;
    if (!bus.call({bluez_service, adapter.path, adapter_iface}, "StopDiscovery", {}, bluez_timeout, reply, f)) {
        error = bluez_failure(f);
        return false;
    }
    return true;
}

bool DeviceMatch::matches(const Device& d) const {
    if (!address.empty())
        return strcasecmp(address.c_str(), d.address.c_str()) == 0;
    return !name.empty() && d.name == name;
}

std::string DeviceMatch::describe() const { return address.empty() ? fmt::format("\"{}\"", name) : address; }

} // namespace syskit::btprox

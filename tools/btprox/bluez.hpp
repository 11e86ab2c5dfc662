// bluez: BlueZ's D-Bus API (org.bluez) as btprox uses it: the adapter (Adapter1), its
// devices (Device1), discovery with a filter, and which device the user means.
#pragma once

#include "dbus/bus.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace syskit::btprox {

inline constexpr const char* bluez_service = "org.bluez";
inline constexpr const char* adapter_iface = "org.bluez.Adapter1";
inline constexpr const char* device_iface = "org.bluez.Device1";
/// How long a call to bluetoothd may take before btprox gives up on it.
inline constexpr std::chrono::seconds bluez_timeout{5};

struct Adapter {
    std::string path;    ///< /org/bluez/hci0
    std::string name;    ///< hci0
    std::string address; ///< the controller's address
    bool powered = false;
};

struct Device {
    std::string path;         ///< /org/bluez/hci0/dev_11_22_33_44_55_66
    std::string adapter;      ///< its adapter's object path
    std::string address;      ///< for a bonded device that resolves its private address: the identity address
    std::string address_type; ///< public or random
    std::string name;         ///< Alias (which defaults to Name), else Name, else ""
    std::optional<int> rssi;  ///< dBm; BlueZ has it only while discovering
    bool paired = false, connected = false;
};

/// A Device from the Device1 properties of the object at path.
Device device_from(const std::string& path, const dbus::Dict& props);

/// The adapter named want ("" for the first, by name) among the objects of
/// GetManagedObjects.  False with error "hci1: no such adapter (hci0 is there)" or
/// "no Bluetooth adapter".
bool pick_adapter(const dbus::Dict& objects, const std::string& want, Adapter& out, std::string& error);

/// The devices of adapter among objects, ordered by address.
std::vector<Device> devices_of(const dbus::Dict& objects, const std::string& adapter_path);

/// Connects to bluetoothd: its objects, the adapter chosen (pick_adapter), powered on through
/// its Powered property when power_on, else refused when off.  False with error in words:
/// bluetoothd not running, no adapter, powered off.
bool open_adapter(dbus::Bus& bus, const std::string& want, bool power_on, Adapter& adapter, dbus::Dict& objects,
                  std::string& error);

/// SetDiscoveryFilter {Transport: transport, DuplicateData: true}, then StartDiscovery.  A
/// discovery filter also makes BlueZ report every RSSI change instead of only changes of
/// 8 dBm or more.  "Already discovering" (InProgress) counts as success.
bool start_discovery(dbus::Bus& bus, const Adapter& adapter, const std::string& transport, std::string& error);
/// StopDiscovery; BlueZ then clears the RSSI of the devices it saw.
bool stop_discovery(dbus::Bus& bus, const Adapter& adapter, std::string& error);

/// Which device the user means: --device ADDR or --name NAME.
struct DeviceMatch {
    std::string address; ///< compared without regard to case
    std::string name;    ///< the Alias or Name, exactly

    /// Whether d is the device.  BlueZ shows a paired device that rotates private addresses
    /// under its identity address, on one object, so --device ADDR keeps matching it; an
    /// unpaired one appears as a new object per address, which --name matches as well.
    bool matches(const Device& d) const;
    /// ADDR or "NAME", for messages.
    std::string describe() const;
};

} // namespace syskit::btprox

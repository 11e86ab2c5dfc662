// btprox/bluez and scan's rows: BlueZ's object tree read into adapters and devices.
#include "btprox/bluez.hpp"
#include "btprox/scan.hpp"

#include <doctest/doctest.h>

using namespace syskit::btprox;
using syskit::dbus::Dict;
using syskit::dbus::Value;

namespace {

Value ifaces(std::string iface, Dict props) { return Value::from_parts("a{sa{sv}}", Dict{{iface, Value(props)}}); }

Dict tree() {
    Dict phone{{"Address", "11:22:33:44:55:66"},
               {"AddressType", "public"},
               {"Name", "Pixel"},
               {"Alias", "My Phone"},
               {"Adapter", Value::object_path("/org/bluez/hci0")},
               {"RSSI", std::int16_t{-61}},
               {"Paired", true},
               {"Connected", false}};
    Dict beacon{{"Address", "0A:00:00:00:00:01"},
                {"AddressType", "random"},
                {"Adapter", Value::object_path("/org/bluez/hci0")}};
    Dict other{{"Address", "22:22:22:22:22:22"}, {"Adapter", Value::object_path("/org/bluez/hci1")}};
    return Dict{{"/org/bluez", ifaces("org.bluez.AgentManager1", {})},
                {"/org/bluez/hci1", ifaces(adapter_iface, {{"Address", "00:00:00:00:00:01"}, {"Powered", false}})},
                {"/org/bluez/hci0", ifaces(adapter_iface, {{"Address", "00:00:00:00:00:00"}, {"Powered", true}})},
                {"/org/bluez/hci0/dev_11_22_33_44_55_66", ifaces(device_iface, phone)},
                {"/org/bluez/hci0/dev_0A_00_00_00_00_01", ifaces(device_iface, beacon)},
                {"/org/bluez/hci1/dev_22_22_22_22_22_22", ifaces(device_iface, other)}};
}

} // namespace

TEST_CASE("btprox bluez: the adapter asked for, or the first by name") {
    Adapter a;
    std::string error;
    REQUIRE(pick_adapter(tree(), "", a, error));
    CHECK(a.name == "hci0");
    CHECK(a.path == "/org/bluez/hci0");
    CHECK(a.powered);
    Adapter b;
    REQUIRE(pick_adapter(tree(), "hci1", b, error));
    CHECK(b.address == "00:00:00:00:00:01");
    CHECK_FALSE(b.powered);
    Adapter c;
    CHECK_FALSE(pick_adapter(tree(), "hci2", c, error));
    CHECK(error == "hci2: no such adapter (hci0, hci1 are there)");
    CHECK_FALSE(pick_adapter(Dict{}, "", c, error));
    CHECK(error == "no Bluetooth adapter (bluetoothd has none)");
}

TEST_CASE("btprox bluez: an adapter's devices, with what BlueZ may leave out") {
    auto devices = devices_of(tree(), "/org/bluez/hci0");
    REQUIRE(devices.size() == 2);
    CHECK(devices[0].address == "0A:00:00:00:00:01");
    CHECK(devices[0].name == "");
    CHECK(!devices[0].rssi);
    CHECK(devices[1].name == "My Phone");
    CHECK(devices[1].rssi == -61);
    CHECK(devices[1].paired);
    CHECK(devices[1].address_type == "public");

    CHECK(device_header() == "ADDRESS            RSSI  PAIRED  CONNECTED  NAME");
    CHECK(device_text(devices[1], false) == "11:22:33:44:55:66   -61  yes     no         My Phone");
    CHECK(device_text(devices[0], false) == "0A:00:00:00:00:01     -  no      no         ");
    CHECK(device_json(devices[0], "hci0") == R"({"address":"0A:00:00:00:00:01","address_type":"random","name":"",)"
                                             R"("rssi":null,"paired":false,"connected":false,"adapter":"hci0"})");
    Device evil = devices[1];
    evil.name = "a\033[2Jb";
    CHECK(device_text(evil, true).ends_with("a\\033[2Jb"));
}

TEST_CASE("btprox bluez: which device the user means") {
    Device d;
    d.address = "11:22:33:AA:BB:CC";
    d.name = "My Phone";
    CHECK(DeviceMatch{"11:22:33:aa:bb:cc", ""}.matches(d));
    CHECK_FALSE(DeviceMatch{"11:22:33:AA:BB:CD", ""}.matches(d));
    CHECK(DeviceMatch{"", "My Phone"}.matches(d));
    CHECK_FALSE(DeviceMatch{"", "my phone"}.matches(d));
    CHECK_FALSE(DeviceMatch{"", ""}.matches(d));
    CHECK(DeviceMatch{"", "My Phone"}.describe() == "\"My Phone\"");
    CHECK(DeviceMatch{"11:22:33:AA:BB:CC", ""}.describe() == "11:22:33:AA:BB:CC");
}

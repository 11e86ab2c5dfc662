#include "dbus/attach.hpp"
#include "dbus/bus.hpp"
#include "loop/loop.hpp"

#include "dbus_daemon.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

using namespace syskit::dbus;
using namespace std::chrono_literals;

namespace {

constexpr const char* service_name = "org.syskit.Test";
constexpr const char* object_path = "/org/syskit/test";

/// A service on its own connection and thread, written on raw sd-bus so the client under
/// test is checked against an independent implementation.  Methods of org.syskit.Test:
/// Echo (replies with its arguments), Fail (an error reply), Silent (never replies), Emit
/// (emits PropertiesChanged for org.syskit.Other then org.syskit.Test, RSSI -42).  It
/// serves Properties.Get/GetAll/Set for org.syskit.Test's RSSI (n) and Powered (b).
class TestService {
public:
    explicit TestService(const std::string& address) {
        REQUIRE(sd_bus_new(&bus_) >= 0);
        sd_bus_set_address(bus_, address.c_str());
        sd_bus_set_bus_client(bus_, 1);
        REQUIRE(sd_bus_start(bus_) >= 0);
        REQUIRE(sd_bus_add_object(bus_, nullptr, object_path, &TestService::handle, this) >= 0);
        REQUIRE(sd_bus_request_name(bus_, service_name, 0) >= 0);
        thread_ = std::thread([this] {
            while (!stop_) {
                while (sd_bus_process(bus_, nullptr) > 0) {
                }
                sd_bus_wait(bus_, 20000);
            }
        });
    }
    ~TestService() {
        stop_ = true;
        thread_.join();
        sd_bus_flush_close_unref(bus_);
    }
    std::atomic<bool> powered{false};

private:
    static int reply_value(sd_bus_message* m, const char* sig, const void* value) {
        sd_bus_message* r = nullptr;
        sd_bus_message_new_method_return(m, &r);
        sd_bus_message_open_container(r, 'v', sig);
        sd_bus_message_append_basic(r, sig[0], value);
        sd_bus_message_close_container(r);
        int ret = sd_bus_send(nullptr, r, nullptr);
        sd_bus_message_unref(r);
        return ret;
    }

    static int handle(sd_bus_message* m, void* data, sd_bus_error*) {
        auto* self = static_cast<TestService*>(data);
        const char* iface = sd_bus_message_get_interface(m);
        const char* member = sd_bus_message_get_member(m);
        if (!sd_bus_message_is_method_call(m, nullptr, nullptr) || !iface || !member)
            return 0;
        std::string_view i = iface, mem = member;
        if (i == "org.syskit.Test" && mem == "Echo") {
            sd_bus_message* r = nullptr;
            sd_bus_message_new_method_return(m, &r);
            sd_bus_message_copy(r, m, true);
            sd_bus_send(nullptr, r, nullptr);
            sd_bus_message_unref(r);
            return 1;
        }
        if (i == "org.syskit.Test" && mem == "Fail")
            return sd_bus_reply_method_errorf(m, "org.syskit.Error.Nope", "refused on purpose");
        if (i == "org.syskit.Test" && mem == "Silent")
            return 1;
        if (i == "org.syskit.Test" && mem == "Emit") {
            std::int16_t rssi = -42;
            sd_bus_emit_signal(self->bus_, object_path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                               "sa{sv}as", "org.syskit.Other", 1, "RSSI", "n", std::int16_t{-1}, 0);
            sd_bus_emit_signal(self->bus_, object_path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                               "sa{sv}as", "org.syskit.Test", 1, "RSSI", "n", rssi, 1, "Name");
            return sd_bus_reply_method_return(m, "");
        }
        if (i == "org.freedesktop.DBus.Properties" && mem == "Get") {
            const char *in = nullptr, *name = nullptr;
            sd_bus_message_read(m, "ss", &in, &name);
            if (std::strcmp(name, "RSSI") == 0) {
                std::int16_t rssi = -55;
                return reply_value(m, "n", &rssi);
            }
            if (std::strcmp(name, "Powered") == 0) {
                int p = self->powered;
                return reply_value(m, "b", &p);
            }
            return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownProperty", "no %s", name);
        }
        if (i == "org.freedesktop.DBus.Properties" && mem == "GetAll")
            return sd_bus_reply_method_return(m, "a{sv}", 2, "RSSI", "n", std::int16_t{-55}, "Powered", "b",
                                              static_cast<int>(self->powered));
        if (i == "org.freedesktop.DBus.Properties" && mem == "Set") {
            const char *in = nullptr, *name = nullptr;
            int p = 0;
            if (sd_bus_message_read(m, "ssv", &in, &name, "b", &p) < 0 || std::strcmp(name, "Powered") != 0)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.InvalidArgs", "bad Set");
            self->powered = p != 0;
            return sd_bus_reply_method_return(m, "");
        }
        return 0;
    }

    sd_bus* bus_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

const Target test{service_name, object_path, "org.syskit.Test"};

Bus connect(const PrivateBus& pb) {
    Failure f;
    Bus bus = Bus::connect_address(pb.address, f);
    REQUIRE_MESSAGE(bus, f.text);
    return bus;
}

} // namespace

TEST_CASE("dbus: values of every shape survive a round trip through a real service") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);

    Dict options{{"Transport", "le"},
                 {"DuplicateData", true},
                 {"RSSI", std::int16_t{-90}},
                 {"UUIDs", std::vector<std::string>{"180f", "180a"}},
                 {"Nested", Dict{{"n", std::uint32_t{7}}}}};
    std::vector<Value> args{std::uint8_t{200},
                            std::int64_t{-1} << 40,
                            std::uint64_t{1} << 63,
                            2.5,
                            Value::object_path("/org/bluez/hci0/dev_11_22_33_44_55_66"),
                            Value(options),
                            // GetManagedObjects' shape, and BlueZ's ManufacturerData (integer keys)
                            Value::from_parts("a{oa{sa{sv}}}",
                                              Dict{{"/org/bluez/hci0",
                                                    Value::from_parts("a{sa{sv}}", Dict{{"org.bluez.Adapter1",
                                                                                         Dict{{"Powered", false}}}})}}),
                            Value::from_parts("a{qv}", Dict{{"76", Value(std::vector<std::string>{"x"})}})};
    std::vector<Value> reply;
    Failure f;
    REQUIRE_MESSAGE(bus.call(test, "Echo", args, 2s, reply, f), f.text);
    REQUIRE(reply.size() == args.size());
    for (size_t i = 0; i < args.size(); ++i)
        CHECK_MESSAGE(reply[i] == args[i], reply[i].to_string(), " != ", args[i].to_string());
    CHECK(reply[5]["RSSI"].integer() == -90);
    CHECK(reply[5]["DuplicateData"].boolean() == true);
    CHECK(reply[5]["UUIDs"].strings() == std::vector<std::string>{"180f", "180a"});
    CHECK(reply[5]["Nested"]["n"].unsigned_integer() == 7u);
    CHECK(reply[5]["missing"].empty());
    CHECK(reply[6]["/org/bluez/hci0"]["org.bluez.Adapter1"]["Powered"].boolean() == false);
    CHECK(*reply[4].string() == "/org/bluez/hci0/dev_11_22_33_44_55_66");
    CHECK(reply[4].signature() == "o");
}

TEST_CASE("dbus: an error reply names the service, object, method and error") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    std::vector<Value> reply;
    Failure f;
    CHECK_FALSE(bus.call(test, "Fail", {}, 2s, reply, f));
    CHECK(f.name == "org.syskit.Error.Nope");
    CHECK(f.text == "org.syskit.Test /org/syskit/test org.syskit.Test.Fail: org.syskit.Error.Nope: refused on purpose");

    Failure absent;
    CHECK_FALSE(bus.call({"org.bluez", "/", "org.freedesktop.DBus.ObjectManager"}, "GetManagedObjects", {}, 2s, reply,
                         absent));
    CHECK(absent.name == "org.freedesktop.DBus.Error.ServiceUnknown");
    CHECK(absent.text.starts_with("org.bluez / org.freedesktop.DBus.ObjectManager.GetManagedObjects: "
                                  "org.freedesktop.DBus.Error.ServiceUnknown: "));
}

TEST_CASE("dbus: a call that gets no reply fails after its timeout, not the default") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    std::vector<Value> reply;
    Failure f;
    auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(bus.call(test, "Silent", {}, 200ms, reply, f));
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= 200ms);
    CHECK(took < 2s);
    CHECK(f.error == ETIMEDOUT);
    CHECK(f.text.starts_with("org.syskit.Test /org/syskit/test org.syskit.Test.Silent: "));
}

TEST_CASE("dbus: properties are read, read all at once, and set") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    Failure f;
    Value rssi;
    REQUIRE_MESSAGE(bus.get_property(test, "RSSI", 2s, rssi, f), f.text);
    CHECK(rssi.signature() == "n");
    CHECK(rssi.integer() == -55);
    REQUIRE_MESSAGE(bus.set_property(test, "Powered", true, 2s, f), f.text);
    CHECK(service.powered);
    Dict all;
    REQUIRE_MESSAGE(bus.get_all_properties(test, 2s, all, f), f.text);
    CHECK(all["Powered"].boolean() == true);
    CHECK(all["RSSI"].integer() == -55);
    Value none;
    CHECK_FALSE(bus.get_property(test, "Nope", 2s, none, f));
    CHECK(f.name == "org.freedesktop.DBus.Error.UnknownProperty");
    CHECK(f.text.find("(property org.syskit.Test.Nope)") != std::string::npos);
}

TEST_CASE("dbus: a match with arg0 delivers only the signals it selects") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    Failure f;
    std::vector<std::vector<Value>> seen;
    Slot slot = bus.match({service_name, "", "/org/syskit", "org.freedesktop.DBus.Properties", "PropertiesChanged",
                           "org.syskit.Test"},
                          [&](const Message& m) {
                              std::vector<Value> v;
                              Failure rf;
                              REQUIRE(m.values(v, rf));
                              CHECK(m.member() == "PropertiesChanged");
                              CHECK(m.path() == object_path);
                              seen.push_back(v);
                          },
                          f);
    REQUIRE_MESSAGE(slot, f.text);
    std::vector<Value> reply;
    REQUIRE(bus.call(test, "Emit", {}, 2s, reply, f));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
        REQUIRE(bus.process(f));
        REQUIRE(bus.wait(100ms, f));
    }
    REQUIRE(bus.process(f));
    REQUIRE(seen.size() == 1);
    CHECK(*seen[0][0].string() == "org.syskit.Test");
    CHECK(seen[0][1]["RSSI"].integer() == -42);
    CHECK(seen[0][2].strings() == std::vector<std::string>{"Name"});

    slot = Slot();
    REQUIRE(bus.call(test, "Emit", {}, 2s, reply, f));
    REQUIRE(bus.wait(200ms, f));
    REQUIRE(bus.process(f));
    CHECK(seen.size() == 1);
}

TEST_CASE("dbus: match rules quote their values") {
    CHECK(match_rule({"org.bluez", "", "/org/bluez", "", "InterfacesAdded", ""}) ==
          "type='signal',sender='org.bluez',path_namespace='/org/bluez',member='InterfacesAdded'");
    CHECK(match_rule({"", "", "", "", "", "it's"}) == "type='signal',arg0='it'\\''s'");
}

TEST_CASE("dbus: on the libuv loop, asynchronous replies, timeouts and signals arrive as callbacks") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    syskit::loop::Loop loop;
    Failure f;
    std::vector<std::string> events;
    auto stop_after = [&](size_t n) {
        if (events.size() == n)
            loop.stop();
    };
    Slot sig = bus.match({"", object_path, "", "org.freedesktop.DBus.Properties", "PropertiesChanged", "org.syskit.Test"},
                         [&](const Message&) {
                             events.push_back("signal");
                             stop_after(3);
                         },
                         f);
    REQUIRE(sig);
    Slot emit = bus.call_async(test, "Emit", {}, 2s,
                               [&](const std::vector<Value>&, const Failure* failure) {
                                   events.push_back(failure ? "emit failed" : "emitted");
                                   stop_after(3);
                               },
                               f);
    Failure timed_out;
    Slot silent = bus.call_async(test, "Silent", {}, 300ms,
                                 [&](const std::vector<Value>& reply, const Failure* failure) {
                                     CHECK(reply.empty());
                                     REQUIRE(failure != nullptr);
                                     timed_out = *failure;
                                     events.push_back("timeout");
                                     stop_after(3);
                                 },
                                 f);
    REQUIRE(emit);
    REQUIRE(silent);
    bool lost = false;
    {
        Attachment attach(loop, bus, [&](const Failure&) { lost = true; });
        syskit::loop::Timer guard(loop, [&] { loop.stop(); });
        guard.start(5);
        loop.run();
    }
    CHECK_FALSE(lost);
    REQUIRE(events.size() == 3);
    CHECK(events[2] == "timeout");
    CHECK(timed_out.name == "org.freedesktop.DBus.Error.NoReply");
    CHECK(timed_out.text.starts_with("org.syskit.Test /org/syskit/test org.syskit.Test.Silent: "));
}

TEST_CASE("dbus: a cancelled asynchronous call never calls back") {
    PrivateBus pb;
    TestService service(pb.address);
    Bus bus = connect(pb);
    Failure f;
    bool called = false;
    Slot s = bus.call_async(test, "Echo", {"x"}, 2s, [&](const std::vector<Value>&, const Failure*) { called = true; }, f);
    REQUIRE(s);
    s = Slot();
    std::vector<Value> reply;
    REQUIRE(bus.call(test, "Echo", {"y"}, 2s, reply, f));
    REQUIRE(bus.process(f));
    CHECK_FALSE(called);
}

TEST_CASE("dbus: the loop hears when the bus goes away") {
    auto pb = std::make_unique<PrivateBus>();
    Bus bus = connect(*pb);
    syskit::loop::Loop loop;
    Failure lost;
    bool was_lost = false;
    Attachment attach(loop, bus, [&](const Failure& f) {
        was_lost = true;
        lost = f;
        loop.stop();
    });
    syskit::loop::Timer kill_bus(loop, [&] { pb.reset(); });
    kill_bus.start(0.05);
    syskit::loop::Timer guard(loop, [&] { loop.stop(); });
    guard.start(5);
    loop.run();
    CHECK(was_lost);
    CHECK(lost.text.starts_with("bus: sd_bus_process: "));
}

TEST_CASE("dbus: connecting fails in words") {
    Failure f;
    CHECK_FALSE(Bus::connect_address("unix:path=/nonexistent/bus", f));
    CHECK(f.text == "bus unix:path=/nonexistent/bus: connect: No such file or directory");
}

namespace {
/// Sets (or, with nullptr, unsets) an environment variable for one scope.
struct EnvVar {
    std::string name;
    std::optional<std::string> old;
    EnvVar(const char* n, const char* value) : name(n) {
        if (const char* o = std::getenv(n))
            old = o;
        value ? setenv(n, value, 1) : unsetenv(n);
    }
    ~EnvVar() { old ? setenv(name.c_str(), old->c_str(), 1) : unsetenv(name.c_str()); }
};
} // namespace

TEST_CASE("dbus: the system and session buses are found through the environment") {
    PrivateBus pb;
    TestService service(pb.address);
    Failure f;
    {
        EnvVar sys("DBUS_SYSTEM_BUS_ADDRESS", pb.address.c_str());
        Bus bus = Bus::connect(BusKind::system, f);
        REQUIRE_MESSAGE(bus, f.text);
        Value rssi;
        REQUIRE_MESSAGE(bus.get_property(test, "RSSI", 2s, rssi, f), f.text);
        CHECK(rssi.integer() == -55);
        CHECK(bus.unique_name().starts_with(":1."));
    }
    {
        EnvVar session("DBUS_SESSION_BUS_ADDRESS", nullptr);
        EnvVar runtime("XDG_RUNTIME_DIR", nullptr);
        CHECK_FALSE(Bus::connect(BusKind::session, f));
        CHECK(f.text == "session bus: no session (neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set)");
    }
    {
        EnvVar session("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        CHECK_FALSE(Bus::connect(BusKind::session, f));
        CHECK(f.text ==
              "session bus (DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus): connect: No such file or directory");
    }
}

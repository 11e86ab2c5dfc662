#include "watch.hpp"

#include "bluez.hpp"
#include "lock.hpp"
#include "tracker.hpp"

#include "cli/diag.hpp"
#include "dbus/attach.hpp"
#include "loop/loop.hpp"
#include "loop/process.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <signal.h>
#include <time.h>

#include <list>
#include <map>
#include <memory>

namespace syskit::btprox {

using dbus::Dict;
using dbus::Failure;
using dbus::Message;
using dbus::Value;

namespace {

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class Watcher {
public:
    Watcher(const Options& o, log::Logger& log, dbus::Bus& bus, Adapter adapter, Locker* locker)
        : o_(o), log_(log), bus_(bus), adapter_(std::move(adapter)), locker_(locker), tracker_(o.tracker, now()),
          lost_(loop_, [this] { tick(); }) {}

    int run(const Dict& objects);

private:
    void seen(const Device& d);
    void on_properties_changed(const Message& m);
    void on_interfaces_added(const Message& m);
    void on_interfaces_removed(const Message& m);
    void on_owner_changed(const Message& m);
    void sample(const std::string& path, int rssi);
    void tick();
    void act(const Transition& t, const std::string& address);
    void run_command(const std::string& command, const Transition& t, const std::string& address);
    void fail(const std::string& message);

    const Options& o_;
    log::Logger& log_;
    dbus::Bus& bus_;
    Adapter adapter_;
    Locker* locker_;
    loop::Loop loop_;
    Tracker tracker_;
    loop::Timer lost_;
    std::map<std::string, Device> devices_; ///< every device of the adapter, by object path
    std::list<loop::Process> children_;
    std::string last_address_; ///< the address the device was last heard at
    int status_ = cli::exit_ok;
};

void Watcher::fail(const std::string& message) {
    log_.error(message);
    status_ = cli::exit_trouble;
    loop_.stop();
}

void Watcher::seen(const Device& d) {
    bool was = devices_.count(d.path) && o_.device.matches(devices_[d.path]);
    devices_[d.path] = d;
    if (o_.device.matches(d) && !was)
        log_.info("device found", {{"device", o_.device.describe()},
                                   {"path", std::string_view(d.path)},
                                   {"address", std::string_view(d.address)},
                                   {"paired", d.paired}});
}

void Watcher::sample(const std::string& path, int rssi) {
    auto it = devices_.find(path);
    if (it == devices_.end() || !o_.device.matches(it->second))
        return;
    it->second.rssi = rssi;
    last_address_ = it->second.address;
    log_.log(log::Level::debug, "rssi", {{"address", std::string_view(it->second.address)}, {"rssi", std::int64_t{rssi}}});
    auto t = tracker_.sample(now(), rssi);
    lost_.start(o_.tracker.lost);
    if (t)
        act(*t, it->second.address);
}

void Watcher::tick() {
    if (auto t = tracker_.tick(now()))
        act(*t, last_address_);
}

void Watcher::on_properties_changed(const Message& m) {
    std::vector<Value> args;
    Failure f;
    if (!m.values(args, f) || args.size() < 2 || !args[0].string())
        return;
    std::string path(m.path());
    const std::string& iface = *args[0].string();
    const Value& changed = args[1];
    if (iface == device_iface) {
        auto it = devices_.find(path);
        if (it == devices_.end())
            return;
        // A rename can make a device the one --name means; keep what is known current.
        if (auto* n = changed["Alias"].string()) {
            Device d = it->second;
            d.name = *n;
            seen(d);
        }
        if (auto p = changed["Paired"].boolean())
            it->second.paired = *p;
        if (auto r = changed["RSSI"].integer())
            sample(path, static_cast<int>(*r));
    } else if (iface == adapter_iface && path == adapter_.path) {
        if (changed["Discovering"].boolean() == false || changed["Powered"].boolean() == true) {
            // Someone stopped discovery, or the adapter came back: without it no RSSI arrives.
            log_.info("restarting discovery", {{"adapter", std::string_view(adapter_.name)}});
            std::string error;
            if (!start_discovery(bus_, adapter_, o_.transport, error))
                log_.warn("discovery", {{"error", std::string_view(error)}});
        }
        if (changed["Powered"].boolean() == false)
            log_.warn("adapter powered off", {{"adapter", std::string_view(adapter_.name)}});
    }
}

void Watcher::on_interfaces_added(const Message& m) {
    std::vector<Value> args;
    Failure f;
    if (!m.values(args, f) || args.size() < 2 || !args[0].string())
        return;
    const Value& props = args[1][device_iface];
    if (props.dict() == nullptr)
        return;
    Device d = device_from(*args[0].string(), *props.dict());
    if (d.adapter != adapter_.path)
        return;
    seen(d);
    if (d.rssi)
        sample(d.path, *d.rssi);
}

void Watcher::on_interfaces_removed(const Message& m) {
    std::vector<Value> args;
    Failure f;
    if (!m.values(args, f) || args.size() < 2 || !args[0].string())
        return;
    const std::string& path = *args[0].string();
    if (path == adapter_.path) {
        fail(fmt::format("{}: the adapter went away", adapter_.name));
        return;
    }
    auto it = devices_.find(path);
    if (it == devices_.end())
        return;
    if (o_.device.matches(it->second))
        log_.info("device removed by bluetoothd", {{"address", std::string_view(it->second.address)}});
    devices_.erase(it);
}

void Watcher::on_owner_changed(const Message& m) {
    std::vector<Value> args;
    Failure f;
    if (m.values(args, f) && args.size() == 3 && args[2].string() && args[2].string()->empty())
        fail("org.bluez: bluetoothd went away");
}

void Watcher::act(const Transition& t, const std::string& address) {
    std::string rssi = t.smoothed ? fmt::format("{:.1f}", *t.smoothed) : "";
    log_.info(proximity_name(t.to), {{"device", o_.device.describe()},
                                     {"address", std::string_view(address)},
                                     {"cause", t.cause == Cause::lost ? "lost" : "rssi"},
                                     {"smoothed_rssi", std::string_view(rssi)}});
    if (t.to == Proximity::away && locker_ != nullptr) {
        std::string via, error;
        if (locker_->lock(via, error))
            log_.info("locked", {{"via", std::string_view(via)}, {"session", std::string_view(locker_->session_path())}});
        else
            log_.error("lock failed", {{"error", std::string_view(error)}});
    }
    const std::string& command = t.to == Proximity::away ? o_.on_away : o_.on_near;
    if (!command.empty())
        run_command(command, t, address);
}

void Watcher::run_command(const std::string& command, const Transition& t, const std::string& address) {
    children_.remove_if([](const loop::Process& p) { return !p.running(); });
    // The child inherits the environment: the transition reaches it through it.
    setenv("BTPROX_STATE", std::string(proximity_name(t.to)).c_str(), 1);
    setenv("BTPROX_DEVICE", o_.device.address.empty() ? o_.device.name.c_str() : o_.device.address.c_str(), 1);
    setenv("BTPROX_ADDRESS", address.c_str(), 1);
    setenv("BTPROX_RSSI", t.smoothed ? fmt::format("{:.1f}", *t.smoothed).c_str() : "", 1);
    auto& child = children_.emplace_back(loop_);
    std::string state(proximity_name(t.to));
    int err = child.spawn({{"/bin/sh", "-c", command}, false}, [this, state, command](int status) {
        auto level = status == 0 ? log::Level::info : log::Level::warn;
        log_.log(level, "command finished", {{"on", std::string_view(state)},
                                             {"command", std::string_view(command)},
                                             {"status", std::int64_t{status}}});
    });
    if (err < 0)
        log_.error("command", {{"command", std::string_view(command)}, {"error", uv_strerror(err)}});
}

int Watcher::run(const Dict& objects) {
    dbus::Attachment attach(loop_, bus_, [this](const Failure& f) { fail(f.text); });
    Failure f;
    auto subscribe = [&](dbus::Match m, void (Watcher::*handler)(const Message&)) {
        dbus::Slot s = bus_.match(m, [this, handler](const Message& msg) { (this->*handler)(msg); }, f);
        if (!s)
            log_.error("subscribing", {{"error", std::string_view(f.text)}});
        return s;
    };
    dbus::Slot slots[] = {
        subscribe({bluez_service, "", "/org/bluez", "org.freedesktop.DBus.Properties", "PropertiesChanged", ""},
                  &Watcher::on_properties_changed),
        subscribe({bluez_service, "/", "", "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", ""},
                  &Watcher::on_interfaces_added),
        subscribe({bluez_service, "/", "", "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", ""},
                  &Watcher::on_interfaces_removed),
        subscribe({"org.freedesktop.DBus", "/org/freedesktop/DBus", "", "org.freedesktop.DBus", "NameOwnerChanged",
                   bluez_service},
                  &Watcher::on_owner_changed),
    };
    for (auto& s : slots)
        if (!s)
            return cli::exit_trouble;
    for (auto& d : devices_of(objects, adapter_.path))
        seen(d);
    std::string error;
    if (!start_discovery(bus_, adapter_, o_.transport, error)) {
        log_.error("discovery", {{"error", std::string_view(error)}});
        return cli::exit_trouble;
    }
    loop::Signal sigint(loop_, SIGINT, [this](int) { loop_.stop(); });
    loop::Signal sigterm(loop_, SIGTERM, [this](int) { loop_.stop(); });
    lost_.start(o_.tracker.lost);
    log_.info("watching", {{"device", o_.device.describe()},
                           {"adapter", std::string_view(adapter_.name)},
                           {"away", o_.tracker.away},
                           {"near", o_.tracker.near},
                           {"window", std::uint64_t{o_.tracker.window}},
                           {"lost", o_.tracker.lost}});
    sd_notify(0, "READY=1");
    loop_.run();
    sd_notify(0, "STOPPING=1");
    if (status_ == cli::exit_ok && !stop_discovery(bus_, adapter_, error))
        log_.warn("stopping discovery", {{"error", std::string_view(error)}});
    log_.info("stopped");
    return status_;
}

} // namespace

int watch(const Options& o, log::Logger& log) {
    Failure f;
    dbus::Bus bus = dbus::Bus::connect(dbus::BusKind::system, f);
    if (!bus) {
        cli::error("", f.text);
        return cli::exit_trouble;
    }
    Adapter adapter;
    Dict objects;
    std::string error;
    if (!open_adapter(bus, o.adapter, o.power_on, adapter, objects, error)) {
        cli::error("", error);
        return cli::exit_trouble;
    }
    std::unique_ptr<Locker> locker;
    if (o.lock) {
        locker = std::make_unique<Locker>(bus, std::chrono::milliseconds(static_cast<long>(o.lock_wait * 1000)));
        if (!locker->find_session(error)) {
            cli::error("--lock", error);
            return cli::exit_trouble;
        }
    }
    Watcher w(o, log, bus, adapter, locker.get());
    return w.run(objects);
}

} // namespace syskit::btprox

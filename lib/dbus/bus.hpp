// dbus/bus: a D-Bus client over sd-bus (libsystemd): connections, method calls with a
// timeout, properties, and signal matches, each owned by an RAII handle.
//
// Errors follow the project's convention: an operation returns bool and fills a Failure whose
// text names the service, object and method (or the bus) and says what went wrong in words.
// Handles are single-threaded: use a Bus, and the Messages and Slots it made, from one thread.
#pragma once

#include "dbus/value.hpp"

#include <systemd/sd-bus.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::dbus {

/// Why an operation failed.
struct Failure {
    /// The D-Bus error name (org.freedesktop.DBus.Error.ServiceUnknown, org.bluez.Error.NotReady,
    /// ...), or empty for a local failure (no bus, a timeout, a malformed reply).
    std::string name;
    /// The errno sd-bus mapped the failure to (ETIMEDOUT for a timeout), 0 when unknown.
    int error = 0;
    /// In words, naming the subject: "org.bluez /org/bluez/hci0 org.bluez.Adapter1.StartDiscovery:
    /// org.bluez.Error.NotReady: Resource Not Ready".
    std::string text;
};

/// An owned sd_bus_message: a reply or a signal.
class Message {
public:
    Message() = default;
    /// Takes a new reference to m (sd_bus_message_ref).
    explicit Message(sd_bus_message* m);
    Message(const Message& o);
    Message& operator=(const Message& o);
    Message(Message&& o) noexcept;
    Message& operator=(Message&& o) noexcept;
    ~Message();

    sd_bus_message* get() const { return m_; }
    explicit operator bool() const { return m_ != nullptr; }

    /// The sender's unique name (":1.42"), the object path, interface and member; "" if unset.
    std::string_view sender() const;
    std::string_view path() const;
    std::string_view interface() const;
    std::string_view member() const;

    /// Reads every argument from the start of the message.  False with failure filled (naming
    /// the message's member) when the body is malformed.
    bool values(std::vector<Value>& out, Failure& failure) const;

private:
    sd_bus_message* m_ = nullptr;
};

/// A registration on the bus (a signal match, a pending asynchronous call): undone when the
/// Slot is destroyed, which also drops its callback.
class Slot {
public:
    Slot();
    Slot(Slot&& o) noexcept;
    Slot& operator=(Slot&& o) noexcept;
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    explicit operator bool() const { return slot_ != nullptr; }

private:
    friend class Bus;
    struct Handler;
    sd_bus_slot* slot_ = nullptr;
    std::unique_ptr<Handler> handler_;
};

/// Which bus to connect to.
enum class BusKind { system, session };

/// A method to call or an object to address.
struct Target {
    std::string service;   ///< well-known or unique name: "org.bluez"
    std::string path;      ///< object path: "/org/bluez/hci0"
    std::string interface; ///< "org.bluez.Adapter1"
};

/// What a signal match selects; an empty field matches anything.
struct Match {
    std::string sender;         ///< service name (sd-bus resolves well-known names)
    std::string path;           ///< exact object path
    std::string path_namespace; ///< the path and everything below it: "/org/bluez"
    std::string interface;
    std::string member;
    std::string arg0;           ///< the first argument, when a string (PropertiesChanged's interface)
};

/// The default time a method call waits for its reply.
inline constexpr std::chrono::milliseconds default_timeout{25000};

class Bus {
public:
    /// No connection; connect() makes one.
    Bus() = default;
    Bus(Bus&& o) noexcept;
    Bus& operator=(Bus&& o) noexcept;
    /// Flushes what is queued and closes the connection.
    ~Bus();
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    /// Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket)
    /// or the session bus ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus).  An empty
    /// Bus with failure filled ("session bus: no DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR
    /// ...") when it cannot.
    static Bus connect(BusKind kind, Failure& failure);
    /// Connects to the bus at a D-Bus address ("unix:path=/tmp/bus").
    static Bus connect_address(const std::string& address, Failure& failure);

    explicit operator bool() const { return bus_ != nullptr; }
    sd_bus* get() const { return bus_; }
    /// This connection's unique name (":1.7"), "" when not connected.
    std::string unique_name() const;

    /// Calls target.interface.method with args and waits up to timeout for the reply, which
    /// it stores in reply.  False with failure filled on an error reply, a timeout, or a
    /// lost connection.  The bus keeps processing nothing else meanwhile: signals that
    /// arrive are queued for the next process().
    bool call(const Target& target, std::string_view method, const std::vector<Value>& args,
              std::chrono::microseconds timeout, Message& reply, Failure& failure);
    /// The same, keeping only the reply's arguments.
    bool call(const Target& target, std::string_view method, const std::vector<Value>& args,
              std::chrono::microseconds timeout, std::vector<Value>& reply, Failure& failure);

    /// Called with the reply's arguments, or with a failure (error reply, timeout) and no
    /// arguments.
    using ReplyHandler = std::function<void(const std::vector<Value>& reply, const Failure* failure)>;
    /// Sends the call and returns at once; on_reply runs from process() when the reply
    /// arrives or the timeout passes.  Destroying the returned Slot cancels the wait (on_reply
    /// then never runs).  An empty Slot with failure filled when it cannot be sent.  This is
    /// the way to call a service that must never delay the caller (a notification daemon).
    Slot call_async(const Target& target, std::string_view method, const std::vector<Value>& args,
                    std::chrono::microseconds timeout, ReplyHandler on_reply, Failure& failure);

    /// org.freedesktop.DBus.Properties.Get of target.interface's property name, into out.
    bool get_property(const Target& target, std::string_view name, std::chrono::microseconds timeout, Value& out,
                      Failure& failure);
    /// org.freedesktop.DBus.Properties.GetAll of target.interface, into out.
    bool get_all_properties(const Target& target, std::chrono::microseconds timeout, Dict& out, Failure& failure);
    /// org.freedesktop.DBus.Properties.Set of target.interface's property name to value.
    bool set_property(const Target& target, std::string_view name, const Value& value,
                      std::chrono::microseconds timeout, Failure& failure);
    /// org.freedesktop.DBus.ObjectManager.GetManagedObjects on service's object at path:
    /// object path -> interface -> properties.
    bool managed_objects(const std::string& service, const std::string& path, std::chrono::microseconds timeout,
                         Dict& out, Failure& failure);

    /// Called with each matching signal.
    using SignalHandler = std::function<void(const Message& signal)>;
    /// Subscribes to the signals m selects (an AddMatch call to the bus); on_signal runs from
    /// process() for each, until the returned Slot is destroyed.  An empty Slot with failure
    /// filled when the bus refuses the match.
    Slot match(const Match& m, SignalHandler on_signal, Failure& failure);

    /// Dispatches what has arrived (replies, signals) without blocking, running callbacks.
    /// False with failure filled when the connection is lost.
    bool process(Failure& failure);
    /// Blocks until something arrives or timeout passes (ppoll on the bus descriptor).
    /// False with failure filled when the connection is lost.
    bool wait(std::chrono::microseconds timeout, Failure& failure);

private:
    explicit Bus(sd_bus* b) : bus_(b) {}
    sd_bus* bus_ = nullptr;
};

/// The match rule text for m ("type='signal',sender='org.bluez',...").
std::string match_rule(const Match& m);

} // namespace syskit::dbus

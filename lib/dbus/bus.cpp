#include "dbus/bus.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace syskit::dbus {

namespace {

/// Frees an sd_bus_error when it goes out of scope.
struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~BusError() { sd_bus_error_free(&e); }
};

std::string describe(const Target& t, std::string_view method) {
    return fmt::format("{} {} {}.{}", t.service, t.path, t.interface, method);
}

void fail(Failure& f, std::string subject, int r, const sd_bus_error* e) {
    f.error = r < 0 ? -r : (e ? sd_bus_error_get_errno(e) : 0);
    f.name = e && e->name ? e->name : "";
    if (e && e->name)
        f.text = fmt::format("{}: {}: {}", subject, e->name, e->message ? e->message : std::strerror(f.error));
    else
        f.text = fmt::format("{}: {}", subject, std::strerror(f.error));
}

int read_all(sd_bus_message* m, std::vector<Value>& out) {
    out.clear();
    int r = sd_bus_message_rewind(m, true);
    if (r < 0)
        return r;
    while ((r = sd_bus_message_at_end(m, false)) == 0) {
        Value v;
        if ((r = read_value(m, v)) < 0)
            return r;
        out.push_back(std::move(v));
    }
    return r < 0 ? r : 0;
}

std::string_view text_or_empty(const char* s) { return s ? std::string_view(s) : std::string_view(); }

void quote_into(std::string& rule, std::string_view key, const std::string& value) {
    if (value.empty())
        return;
    // Match rules quote values in single quotes; a quote inside is written '\'' as in sh.
    std::string quoted;
    for (char c : value)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    rule += fmt::format(",{}='{}'", key, quoted);
}

} // namespace

Message::Message(sd_bus_message* m) : m_(sd_bus_message_ref(m)) {}
Message::Message(const Message& o) : m_(o.m_ ? sd_bus_message_ref(o.m_) : nullptr) {}
Message& Message::operator=(const Message& o) {
    if (this != &o) {
        sd_bus_message_unref(m_);
        m_ = o.m_ ? sd_bus_message_ref(o.m_) : nullptr;
    }
    return *this;
}
Message::Message(Message&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
Message& Message::operator=(Message&& o) noexcept {
    if (this != &o) {
        sd_bus_message_unref(m_);
        m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
}
Message::~Message() { sd_bus_message_unref(m_); }

std::string_view Message::sender() const { return text_or_empty(m_ ? sd_bus_message_get_sender(m_) : nullptr); }
std::string_view Message::path() const { return text_or_empty(m_ ? sd_bus_message_get_path(m_) : nullptr); }
std::string_view Message::interface() const { return text_or_empty(m_ ? sd_bus_message_get_interface(m_) : nullptr); }
std::string_view Message::member() const { return text_or_empty(m_ ? sd_bus_message_get_member(m_) : nullptr); }

bool Message::values(std::vector<Value>& out, Failure& failure) const {
    int r = m_ ? read_all(m_, out) : -EINVAL;
    if (r < 0) {
        fail(failure, fmt::format("{} {}.{}: reading the message", path(), interface(), member()), r, nullptr);
        return false;
    }
    return true;
}

struct Slot::Handler {
    std::string subject; ///< what a failure names
    Bus::ReplyHandler on_reply;
    Bus::SignalHandler on_signal;
};

Slot::Slot() = default;
Slot::Slot(Slot&& o) noexcept : slot_(std::exchange(o.slot_, nullptr)), handler_(std::move(o.handler_)) {}
Slot& Slot::operator=(Slot&& o) noexcept {
    if (this != &o) {
        sd_bus_slot_unref(slot_);
        slot_ = std::exchange(o.slot_, nullptr);
        handler_ = std::move(o.handler_);
    }
    return *this;
}
// The slot goes first: once it is unreferenced sd-bus no longer calls the handler it points to.
Slot::~Slot() { sd_bus_slot_unref(slot_); }

Bus::Bus(Bus&& o) noexcept : bus_(std::exchange(o.bus_, nullptr)) {}
Bus& Bus::operator=(Bus&& o) noexcept {
    if (this != &o) {
        sd_bus_flush_close_unref(bus_);
        bus_ = std::exchange(o.bus_, nullptr);
    }
    return *this;
}
Bus::~Bus() { sd_bus_flush_close_unref(bus_); }

Bus Bus::connect(BusKind kind, Failure& failure) {
    sd_bus* b = nullptr;
    int r = kind == BusKind::system ? sd_bus_open_system(&b) : sd_bus_open_user(&b);
    if (r >= 0)
        return Bus(b);
    if (kind == BusKind::session && std::getenv("DBUS_SESSION_BUS_ADDRESS") == nullptr &&
        std::getenv("XDG_RUNTIME_DIR") == nullptr) {
        failure = {"", -r, "session bus: no session (neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set)"};
        return {};
    }
    const char* env = kind == BusKind::system ? "DBUS_SYSTEM_BUS_ADDRESS" : "DBUS_SESSION_BUS_ADDRESS";
    const char* where = std::getenv(env);
    std::string subject = kind == BusKind::system ? "system bus" : "session bus";
    if (where != nullptr)
        subject += fmt::format(" ({}={})", env, where);
    fail(failure, subject + ": connect", r, nullptr);
    return {};
}

Bus Bus::connect_address(const std::string& address, Failure& failure) {
    sd_bus* b = nullptr;
    int r = sd_bus_new(&b);
    if (r >= 0)
        r = sd_bus_set_address(b, address.c_str());
    if (r >= 0)
        r = sd_bus_set_bus_client(b, 1);
    if (r >= 0)
        r = sd_bus_start(b);
    if (r < 0) {
        sd_bus_unref(b);
        fail(failure, fmt::format("bus {}: connect", address), r, nullptr);
        return {};
    }
    return Bus(b);
}

std::string Bus::unique_name() const {
    const char* name = nullptr;
    if (bus_ == nullptr || sd_bus_get_unique_name(bus_, &name) < 0)
        return "";
    return name;
}

namespace {

/// A method call message for target.method carrying args; nullptr with failure filled if not.
sd_bus_message* new_call(sd_bus* bus, const Target& target, std::string_view method, const std::vector<Value>& args,
                         Failure& failure) {
    sd_bus_message* m = nullptr;
    std::string member(method);
    int r = bus ? sd_bus_message_new_method_call(bus, &m, target.service.c_str(), target.path.c_str(),
                                                 target.interface.empty() ? nullptr : target.interface.c_str(),
                                                 member.c_str())
                : -ENOTCONN;
    for (size_t i = 0; r >= 0 && i < args.size(); ++i)
        r = write_value(m, args[i]);
    if (r < 0) {
        sd_bus_message_unref(m);
        fail(failure, describe(target, method) + ": building the call", r, nullptr);
        return nullptr;
    }
    return m;
}

} // namespace

bool Bus::call(const Target& target, std::string_view method, const std::vector<Value>& args,
               std::chrono::microseconds timeout, Message& reply, Failure& failure) {
    sd_bus_message* m = new_call(bus_, target, method, args, failure);
    if (m == nullptr)
        return false;
    BusError e;
    sd_bus_message* r_msg = nullptr;
    int r = sd_bus_call(bus_, m, static_cast<std::uint64_t>(timeout.count()), &e.e, &r_msg);
    sd_bus_message_unref(m);
    if (r < 0) {
        fail(failure, describe(target, method), r, &e.e);
        return false;
    }
    reply = Message(r_msg);
    sd_bus_message_unref(r_msg);
    return true;
}

bool Bus::call(const Target& target, std::string_view method, const std::vector<Value>& args,
               std::chrono::microseconds timeout, std::vector<Value>& reply, Failure& failure) {
    Message m;
    if (!call(target, method, args, timeout, m, failure))
        return false;
    int r = read_all(m.get(), reply);
    if (r < 0) {
        fail(failure, describe(target, method) + ": reading the reply", r, nullptr);
        return false;
    }
    return true;
}

Slot Bus::call_async(const Target& target, std::string_view method, const std::vector<Value>& args,
                     std::chrono::microseconds timeout, ReplyHandler on_reply, Failure& failure) {
    sd_bus_message* m = new_call(bus_, target, method, args, failure);
    if (m == nullptr)
        return {};
    Slot slot;
    slot.handler_ = std::make_unique<Slot::Handler>(Slot::Handler{describe(target, method), std::move(on_reply), {}});
    auto on_message = [](sd_bus_message* reply, void* data, sd_bus_error*) -> int {
        auto* h = static_cast<Slot::Handler*>(data);
        std::vector<Value> values;
        Failure f;
        if (const sd_bus_error* e = sd_bus_message_get_error(reply)) {
            fail(f, h->subject, 0, e);
            h->on_reply(values, &f);
        } else if (int r = read_all(reply, values); r < 0) {
            fail(f, h->subject + ": reading the reply", r, nullptr);
            values.clear();
            h->on_reply(values, &f);
        } else {
            h->on_reply(values, nullptr);
        }
        return 0;
    };
    int r = sd_bus_call_async(bus_, &slot.slot_, m, on_message, slot.handler_.get(),
                              static_cast<std::uint64_t>(timeout.count()));
    sd_bus_message_unref(m);
    if (r < 0) {
        fail(failure, describe(target, method), r, nullptr);
        return {};
    }
    return slot;
}

bool Bus::get_property(const Target& target, std::string_view name, std::chrono::microseconds timeout, Value& out,
                       Failure& failure) {
    Target props{target.service, target.path, "org.freedesktop.DBus.Properties"};
    std::vector<Value> reply;
    if (!call(props, "Get", {target.interface, std::string(name)}, timeout, reply, failure)) {
        failure.text = fmt::format("{} (property {}.{})", failure.text, target.interface, name);
        return false;
    }
    if (reply.size() != 1) {
        failure = {"", EBADMSG, fmt::format("{}: reply has no value", describe(props, "Get"))};
        return false;
    }
    out = std::move(reply[0]);
    return true;
}

bool Bus::get_all_properties(const Target& target, std::chrono::microseconds timeout, Dict& out, Failure& failure) {
    Target props{target.service, target.path, "org.freedesktop.DBus.Properties"};
    std::vector<Value> reply;
    if (!call(props, "GetAll", {target.interface}, timeout, reply, failure)) {
        failure.text = fmt::format("{} (interface {})", failure.text, target.interface);
        return false;
    }
    if (reply.size() != 1 || reply[0].dict() == nullptr) {
        failure = {"", EBADMSG, fmt::format("{}: reply is not a{{sv}}", describe(props, "GetAll"))};
        return false;
    }
    out = *reply[0].dict();
    return true;
}

bool Bus::set_property(const Target& target, std::string_view name, const Value& value,
                       std::chrono::microseconds timeout, Failure& failure) {
    Target props{target.service, target.path, "org.freedesktop.DBus.Properties"};
    // Set's third argument is a variant, which an argument list of Values cannot express.
    sd_bus_message* m = new_call(bus_, props, "Set", {target.interface, std::string(name)}, failure);
    if (m == nullptr)
        return false;
    int r = sd_bus_message_open_container(m, 'v', value.signature().c_str());
    if (r >= 0)
        r = write_value(m, value);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    BusError e;
    if (r >= 0)
        r = sd_bus_call(bus_, m, static_cast<std::uint64_t>(timeout.count()), &e.e, nullptr);
    sd_bus_message_unref(m);
    if (r < 0) {
        fail(failure, fmt::format("{} (property {}.{})", describe(props, "Set"), target.interface, name), r, &e.e);
        return false;
    }
    return true;
}

bool Bus::managed_objects(const std::string& service, const std::string& path, std::chrono::microseconds timeout,
                          Dict& out, Failure& failure) {
    Target om{service, path, "org.freedesktop.DBus.ObjectManager"};
    std::vector<Value> reply;
    if (!call(om, "GetManagedObjects", {}, timeout, reply, failure))
        return false;
    if (reply.size() != 1 || reply[0].dict() == nullptr) {
        failure = {"", EBADMSG, fmt::format("{}: reply is not a{{oa{{sa{{sv}}}}}}", describe(om, "GetManagedObjects"))};
        return false;
    }
    out = *reply[0].dict();
    return true;
}

std::string match_rule(const Match& m) {
    std::string rule = "type='signal'";
    quote_into(rule, "sender", m.sender);
    quote_into(rule, "path", m.path);
    quote_into(rule, "path_namespace", m.path_namespace);
    quote_into(rule, "interface", m.interface);
    quote_into(rule, "member", m.member);
    quote_into(rule, "arg0", m.arg0);
    return rule;
}

Slot Bus::match(const Match& m, SignalHandler on_signal, Failure& failure) {
    std::string rule = match_rule(m);
    Slot slot;
    slot.handler_ = std::make_unique<Slot::Handler>(Slot::Handler{rule, {}, std::move(on_signal)});
    auto on_message = [](sd_bus_message* msg, void* data, sd_bus_error*) -> int {
        static_cast<Slot::Handler*>(data)->on_signal(Message(msg));
        return 0;
    };
    int r = bus_ ? sd_bus_add_match(bus_, &slot.slot_, rule.c_str(), on_message, slot.handler_.get()) : -ENOTCONN;
    if (r < 0) {
        fail(failure, fmt::format("AddMatch {}", rule), r, nullptr);
        return {};
    }
    return slot;
}

bool Bus::process(Failure& failure) {
    int r = 0;
    while (bus_ && (r = sd_bus_process(bus_, nullptr)) > 0) {
    }
    if (bus_ == nullptr || r < 0) {
        fail(failure, "bus: sd_bus_process", bus_ ? r : -ENOTCONN, nullptr);
        return false;
    }
    return true;
}

bool Bus::wait(std::chrono::microseconds timeout, Failure& failure) {
    int r = bus_ ? sd_bus_wait(bus_, static_cast<std::uint64_t>(timeout.count())) : -ENOTCONN;
    if (r < 0) {
        fail(failure, "bus: sd_bus_wait", r, nullptr);
        return false;
    }
    return true;
}

} // namespace syskit::dbus

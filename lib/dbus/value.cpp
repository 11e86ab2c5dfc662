#include "dbus/value.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>

namespace syskit::dbus {

Value::Value(bool b) : sig_("b"), v_(b) {}
Value::Value(std::uint8_t n) : sig_("y"), v_(std::uint64_t{n}) {}
Value::Value(std::int16_t n) : sig_("n"), v_(std::int64_t{n}) {}
Value::Value(std::uint16_t n) : sig_("q"), v_(std::uint64_t{n}) {}
Value::Value(std::int32_t n) : sig_("i"), v_(std::int64_t{n}) {}
Value::Value(std::uint32_t n) : sig_("u"), v_(std::uint64_t{n}) {}
Value::Value(std::int64_t n) : sig_("x"), v_(n) {}
Value::Value(std::uint64_t n) : sig_("t"), v_(n) {}
Value::Value(double d) : sig_("d"), v_(d) {}
Value::Value(std::string s) : sig_("s"), v_(std::move(s)) {}
Value::Value(const char* s) : sig_("s"), v_(std::string(s)) {}
Value::Value(std::vector<std::string> strings) : sig_("as") {
    Array a;
    a.reserve(strings.size());
    for (auto& s : strings)
        a.emplace_back(std::move(s));
    v_ = std::move(a);
}
Value::Value(Dict dict) : sig_("a{sv}"), v_(std::move(dict)) {}

Value Value::object_path(std::string path) {
    return from_parts(std::string(1, 'o'), std::move(path));
}

Value Value::from_parts(std::string signature,
                        std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Array, Dict> data) {
    Value v;
    v.sig_ = std::move(signature);
    v.v_ = std::move(data);
    return v;
}

std::optional<bool> Value::boolean() const {
    if (auto* b = std::get_if<bool>(&v_))
        return *b;
    return std::nullopt;
}

std::optional<std::int64_t> Value::integer() const {
    if (auto* n = std::get_if<std::int64_t>(&v_))
        return *n;
    if (auto* u = std::get_if<std::uint64_t>(&v_); u && *u <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

std::optional<std::uint64_t> Value::unsigned_integer() const {
    if (auto* u = std::get_if<std::uint64_t>(&v_))
        return *u;
    if (auto* n = std::get_if<std::int64_t>(&v_); n && *n >= 0)
        return static_cast<std::uint64_t>(*n);
    return std::nullopt;
}

std::optional<double> Value::number() const {
    if (auto* d = std::get_if<double>(&v_))
        return *d;
    if (auto* n = std::get_if<std::int64_t>(&v_))
        return static_cast<double>(*n);
    if (auto* u = std::get_if<std::uint64_t>(&v_))
        return static_cast<double>(*u);
    return std::nullopt;
}

const std::string* Value::string() const { return std::get_if<std::string>(&v_); }
const Array* Value::array() const { return std::get_if<Array>(&v_); }
const Dict* Value::dict() const { return std::get_if<Dict>(&v_); }

std::vector<std::string> Value::strings() const {
    std::vector<std::string> out;
    if (auto* a = array())
        for (auto& e : *a)
            if (auto* s = e.string())
                out.push_back(*s);
    return out;
}

const Value& Value::operator[](const std::string& key) const {
    static const Value none;
    if (auto* d = dict())
        if (auto it = d->find(key); it != d->end())
            return it->second;
    return none;
}

std::string Value::to_string() const {
    struct Show {
        std::string operator()(std::monostate) const { return "none"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t n) const { return std::to_string(n); }
        std::string operator()(std::uint64_t n) const { return std::to_string(n); }
        std::string operator()(double d) const { return fmt::format("{}", d); }
        std::string operator()(const std::string& s) const { return fmt::format("\"{}\"", s); }
        std::string operator()(const Array& a) const {
            std::string out = "[";
            for (auto& e : a)
                out += (out.size() > 1 ? ", " : "") + e.to_string();
            return out + "]";
        }
        std::string operator()(const Dict& d) const {
            std::string out = "{";
            for (auto& [k, e] : d)
                out += fmt::format("{}\"{}\": {}", out.size() > 1 ? ", " : "", k, e.to_string());
            return out + "}";
        }
    };
    return std::visit(Show{}, v_);
}

namespace {

bool is_string_type(char t) { return t == 's' || t == 'o' || t == 'g'; }

int read_basic(sd_bus_message* m, char type, Value& out) {
    int r = 0;
    switch (type) {
    case 'y': {
        std::uint8_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 'b': {
        int x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x != 0);
        break;
    }
    case 'n': {
        std::int16_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 'q': {
        std::uint16_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 'i':
    case 'h': {
        std::int32_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value::from_parts(std::string(1, type), std::int64_t{x});
        break;
    }
    case 'u': {
        std::uint32_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 'x': {
        std::int64_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 't': {
        std::uint64_t x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 'd': {
        double x = 0;
        r = sd_bus_message_read_basic(m, type, &x);
        out = Value(x);
        break;
    }
    case 's':
    case 'o':
    case 'g': {
        const char* s = nullptr;
        r = sd_bus_message_read_basic(m, type, &s);
        out = Value::from_parts(std::string(1, type), std::string(s ? s : ""));
        break;
    }
    default:
        return -EBADMSG;
    }
    return r < 0 ? r : 0;
}

/// A dictionary key as text: strings as they are, integers in decimal.
std::string key_text(const Value& k) {
    if (auto* s = k.string())
        return *s;
    if (auto n = k.integer())
        return std::to_string(*n);
    if (auto u = k.unsigned_integer())
        return std::to_string(*u);
    return k.to_string();
}

int write_basic(sd_bus_message* m, char type, const Value& v) {
    auto n = v.integer();
    auto u = v.unsigned_integer();
    switch (type) {
    case 'y': {
        std::uint8_t x = static_cast<std::uint8_t>(u.value_or(0));
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'b': {
        int x = v.boolean().value_or(false) ? 1 : 0;
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'n': {
        std::int16_t x = static_cast<std::int16_t>(n.value_or(0));
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'q': {
        std::uint16_t x = static_cast<std::uint16_t>(u.value_or(0));
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'i':
    case 'h': {
        std::int32_t x = static_cast<std::int32_t>(n.value_or(0));
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'u': {
        std::uint32_t x = static_cast<std::uint32_t>(u.value_or(0));
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'x': {
        std::int64_t x = n.value_or(0);
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 't': {
        std::uint64_t x = u.value_or(0);
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 'd': {
        double x = v.number().value_or(0);
        return sd_bus_message_append_basic(m, type, &x);
    }
    case 's':
    case 'o':
    case 'g':
        return sd_bus_message_append_basic(m, type, v.string() ? v.string()->c_str() : "");
    default:
        return -EINVAL;
    }
}

/// A dictionary key from its text, under the key type of the dictionary.
Value key_value(char type, const std::string& text) {
    if (is_string_type(type))
        return Value::from_parts(std::string(1, type), text);
    if (type == 'b')
        return Value(text == "true");
    if (type == 'd')
        return Value(std::strtod(text.c_str(), nullptr));
    std::int64_t n = 0;
    std::uint64_t u = 0;
    if (text.starts_with('-')) {
        std::from_chars(text.data(), text.data() + text.size(), n);
        return Value::from_parts(std::string(1, type), n);
    }
    std::from_chars(text.data(), text.data() + text.size(), u);
    return Value::from_parts(std::string(1, type), u);
}

/// Writes v as the content of a position typed elem: inside a variant when elem is "v".
int write_as(sd_bus_message* m, const std::string& elem, const Value& v) {
    if (elem != "v")
        return write_value(m, v);
    int r = sd_bus_message_open_container(m, 'v', v.signature().c_str());
    if (r >= 0)
        r = write_value(m, v);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    return r < 0 ? r : 0;
}

} // namespace

int read_value(sd_bus_message* m, Value& out) {
    char type = 0;
    const char* contents = nullptr;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r < 0)
        return r;
    if (r == 0)
        return -ENXIO;
    if (type == SD_BUS_TYPE_VARIANT) {
        if ((r = sd_bus_message_enter_container(m, type, contents)) < 0)
            return r;
        if ((r = read_value(m, out)) < 0)
            return r;
        return std::min(0, sd_bus_message_exit_container(m));
    }
    if (type == SD_BUS_TYPE_ARRAY && contents[0] == '{') {
        std::string entry(contents + 1, std::string_view(contents).size() - 2);
        if ((r = sd_bus_message_enter_container(m, type, contents)) < 0)
            return r;
        Dict d;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry.c_str())) > 0) {
            Value k, v;
            if ((r = read_value(m, k)) < 0 || (r = read_value(m, v)) < 0)
                return r;
            d.insert_or_assign(key_text(k), std::move(v));
            if ((r = sd_bus_message_exit_container(m)) < 0)
                return r;
        }
        if (r < 0)
            return r;
        out = Value::from_parts(fmt::format("a{}", contents), std::move(d));
        return std::min(0, sd_bus_message_exit_container(m));
    }
    if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT) {
        if ((r = sd_bus_message_enter_container(m, type, contents)) < 0)
            return r;
        Array a;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
            Value e;
            if ((r = read_value(m, e)) < 0)
                return r;
            a.push_back(std::move(e));
        }
        if (r < 0)
            return r;
        std::string sig = type == SD_BUS_TYPE_ARRAY ? fmt::format("a{}", contents) : fmt::format("({})", contents);
        out = Value::from_parts(std::move(sig), std::move(a));
        return std::min(0, sd_bus_message_exit_container(m));
    }
    return read_basic(m, type, out);
}

int write_value(sd_bus_message* m, const Value& v) {
    const std::string& sig = v.signature();
    if (sig.empty())
        return -EINVAL;
    int r = 0;
    if (sig[0] == 'a') {
        std::string elem = sig.substr(1);
        if ((r = sd_bus_message_open_container(m, 'a', elem.c_str())) < 0)
            return r;
        if (elem[0] == '{') {
            std::string entry = elem.substr(1, elem.size() - 2);
            std::string value_type = entry.substr(1);
            if (auto* d = v.dict())
                for (auto& [k, e] : *d) {
                    if ((r = sd_bus_message_open_container(m, 'e', entry.c_str())) < 0 ||
                        (r = write_value(m, key_value(entry[0], k))) < 0 || (r = write_as(m, value_type, e)) < 0 ||
                        (r = sd_bus_message_close_container(m)) < 0)
                        return r;
                }
        } else if (auto* a = v.array()) {
            for (auto& e : *a)
                if ((r = write_as(m, elem, e)) < 0)
                    return r;
        }
        return std::min(0, sd_bus_message_close_container(m));
    }
    if (sig[0] == '(') {
        std::string fields = sig.substr(1, sig.size() - 2);
        if ((r = sd_bus_message_open_container(m, 'r', fields.c_str())) < 0)
            return r;
        if (auto* a = v.array())
            for (auto& e : *a)
                if ((r = write_value(m, e)) < 0)
                    return r;
        return std::min(0, sd_bus_message_close_container(m));
    }
    return std::min(0, write_basic(m, sig[0], v));
}

} // namespace syskit::dbus

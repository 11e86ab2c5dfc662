// dbus/value: a D-Bus value of any type, read from or written to an sd-bus message.
//
// Replies and signals carry typed trees (a{sv} property maps, a{oa{sa{sv}}} object trees,
// variants); a Value holds one such tree with its D-Bus signature, so callers look values up
// by name instead of walking the message by hand.  Integers keep their D-Bus type in the
// signature and are widened to 64 bits; a variant is read as the value it holds.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace syskit::dbus {

class Value;
/// An array of any element type other than dictionary entries, or a struct's fields.
using Array = std::vector<Value>;
/// A dictionary (a{..}).  Keys are text: strings and object paths as they are, integer keys
/// (BlueZ's ManufacturerData is a{qv}) in decimal.
using Dict = std::map<std::string, Value>;

class Value {
public:
    /// No value (signature ""): what a lookup that found nothing returns.
    Value() = default;
    Value(bool b);
    Value(std::uint8_t n);
    Value(std::int16_t n);
    Value(std::uint16_t n);
    Value(std::int32_t n);
    Value(std::uint32_t n);
    Value(std::int64_t n);
    Value(std::uint64_t n);
    Value(double d);
    /// A string (s).
    Value(std::string s);
    Value(const char* s);
    /// An array of strings (as).
    Value(std::vector<std::string> strings);
    /// A dictionary of variants (a{sv}), the shape of properties and option maps.
    Value(Dict dict);
    /// An object path (o).
    static Value object_path(std::string path);
    /// A value of any signature from its parts, as the reader builds them: an integer,
    /// a string, an Array or a Dict.  Used for shapes the constructors above do not cover.
    static Value from_parts(std::string signature, std::variant<std::monostate, bool, std::int64_t, std::uint64_t,
                                                                 double, std::string, Array, Dict> data);

    /// The D-Bus signature of this value ("n", "s", "as", "a{sv}", ...); empty when none.
    const std::string& signature() const { return sig_; }
    bool empty() const { return sig_.empty(); }

    /// The flag, when this is a boolean.
    std::optional<bool> boolean() const;
    /// The number, when this is an integer of any width that fits in int64.
    std::optional<std::int64_t> integer() const;
    /// The number, when this is an unsigned integer, or a signed one that is not negative.
    std::optional<std::uint64_t> unsigned_integer() const;
    /// The number, when this is a double or any integer.
    std::optional<double> number() const;
    /// The text, when this is a string, object path or signature; nullptr otherwise.
    const std::string* string() const;
    /// The elements, when this is an array (not a dictionary) or a struct; nullptr otherwise.
    const Array* array() const;
    /// The entries, when this is a dictionary; nullptr otherwise.
    const Dict* dict() const;
    /// The strings of an array of strings or object paths (as, ao); empty for anything else.
    std::vector<std::string> strings() const;
    /// The entry key of a dictionary; an empty Value when this is no dictionary or lacks it.
    const Value& operator[](const std::string& key) const;

    /// The value as text for messages and tests: 42, "name", [1, 2], {"k": v}.
    std::string to_string() const;

    bool operator==(const Value& o) const = default;

private:
    std::string sig_;
    std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Array, Dict> v_;
};

/// Reads the next complete value of m (descending into containers; a variant yields what it
/// holds) into out.  Returns 0, or a negative errno from sd-bus (-ENXIO at the end of the
/// message or container).
int read_value(sd_bus_message* m, Value& out);

/// Appends v to m under its own signature.  Returns 0 or a negative errno from sd-bus.
int write_value(sd_bus_message* m, const Value& v);

} // namespace syskit::dbus

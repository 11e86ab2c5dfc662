// json: JSON-lines records with lossless escaping of byte strings such as file names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syskit::out {

/// Appends s to dst as the body of a JSON string (without the quotes).
///
/// Valid UTF-8 is copied as it is, except '"', '\\' and control characters, which get
/// their JSON escapes.  Each byte that is not part of valid UTF-8 (a file name is bytes,
/// not text) becomes the lone low surrogate \udcXX, XX being the byte: Python's
/// "surrogateescape" (PEP 383).  Valid UTF-8 never encodes a surrogate, so the mapping
/// is reversible: json.loads(line)["path"].encode("utf-8", "surrogateescape") gives the
/// original bytes back.
void append_json_string(std::string& dst, std::string_view s);

/// One JSON object, built field by field: Object().add("path", p).add("size", n).str().
class Object {
public:
    Object& add(std::string_view key, std::string_view value);
    Object& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    Object& add(std::string_view key, std::int64_t value);
    Object& add(std::string_view key, std::uint64_t value);
    Object& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
    Object& add(std::string_view key, unsigned value) { return add(key, static_cast<std::uint64_t>(value)); }
    Object& add(std::string_view key, bool value);
    /// Adds a value that is already JSON (a nested object or array).
    Object& add_raw(std::string_view key, std::string_view json);
    /// The object's text, without a newline.
    std::string str() const { return buf_ + '}'; }

private:
    void key(std::string_view k);
    std::string buf_ = "{";
};

} // namespace syskit::out

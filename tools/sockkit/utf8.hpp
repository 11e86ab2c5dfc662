// utf8: checking UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing past
// U+10FFFF), for WebSocket text and for chat lines that browsers will show.
#pragma once

#include <string>
#include <string_view>

namespace syskit::sockkit {

/// Whether s is entirely well-formed UTF-8.
bool valid_utf8(std::string_view s);

/// The length of the longest prefix of s that is well-formed UTF-8 or the start of a sequence
/// that more bytes could complete; s.size() when nothing is wrong yet.  For checking a text
/// message as its fragments arrive.
std::size_t utf8_prefix(std::string_view s);

/// s with every byte that is not part of a well-formed sequence replaced by '?'.
std::string to_utf8(std::string_view s);

} // namespace syskit::sockkit

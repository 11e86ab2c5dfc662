// pidfile: the process id a --pidfile names, read as untrusted text.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace syskit::logroll {

/// The pid in a pid file's contents: optional blanks, decimal digits, optional blanks and
/// a newline, and nothing else.  nullopt (why in *error) for anything else, 0, 1 (init must
/// never get the signal) or a value above 2^22, Linux's largest pid_max.
std::optional<pid_t> parse_pid(std::string_view text, std::string* error = nullptr);

/// Reads path (at most 64 bytes of it) and parses it.  nullopt with error set when it
/// cannot be read or parsed.
std::optional<pid_t> read_pidfile(const std::string& path, std::string& error);

} // namespace syskit::logroll

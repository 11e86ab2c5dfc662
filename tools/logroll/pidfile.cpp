#include "pidfile.hpp"

#include "fs/fd.hpp"

#include <cerrno>
#include <cstring>

namespace syskit::logroll {

namespace {
bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
} // namespace

std::optional<pid_t> parse_pid(std::string_view text, std::string* error) {
    auto fail = [&](const char* why) -> std::optional<pid_t> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    while (!text.empty() && blank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && blank(text.back()))
        text.remove_suffix(1);
    if (text.empty())
        return fail("empty, no process id in it");
    long v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return fail("not a process id (digits only)");
        v = v * 10 + (c - '0');
        if (v > (1L << 22))
            return fail("process id out of range");
    }
    if (v <= 1)
        return fail("process id out of range");
    return static_cast<pid_t>(v);
}

std::optional<pid_t> read_pidfile(const std::string& path, std::string& error) {
    // A pid file holds a number and a newline: 64 bytes are plenty, and a huge file is not read whole.
    std::string text;
    if (!fs::read_file(path.c_str(), text, 64)) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    return parse_pid(text, &error);
}

} // namespace syskit::logroll

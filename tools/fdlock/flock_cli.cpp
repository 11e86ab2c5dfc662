#include "flock_cli.hpp"

#include <charconv>

namespace syskit::fdlock {

const char* const usage_text = "Usage: fdlock [OPTIONS] FILE COMMAND [ARGS...]\n"
                               "       fdlock [OPTIONS] FILE -c 'SHELL COMMAND'\n"
                               "       fdlock [OPTIONS] FD\n"
                               "       fdlock --holder [--range START:LEN] [--format text|json] FILE\n"
                               "       fdlock --list [--format text|json]\n";

std::optional<int> parse_fd(std::string_view text) {
    int fd = 0;
    if (text.empty() || text[0] < '0' || text[0] > '9')
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return fd;
}

} // namespace syskit::fdlock

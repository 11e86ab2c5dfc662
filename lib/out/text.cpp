#include "out/text.hpp"

#include "out/utf8.hpp"

#include "cli/diag.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cmath>

#include <fmt/format.h>

namespace syskit::out {

void Sink::write(std::string_view s) {
    if (buf_.size() + s.size() > capacity)
        flush();
    if (s.size() > capacity) {
        buf_.append(s);
        flush();
        return;
    }
    buf_.append(s);
}

void Sink::line(std::string_view s) {
    write(s);
    write("\n");
}

void Sink::record0(std::string_view s) {
    write(s);
    write(std::string_view("\0", 1));
}

bool Sink::flush() {
    std::size_t done = 0;
    while (error_ == 0 && done < buf_.size()) {
        ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error_ = errno;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    buf_.clear();
    return error_ == 0;
}

int finish(Sink& sink, int status) {
    if (sink.flush())
        return status;
    cli::error("stdout", std::strerror(sink.error()));
    return cli::exit_trouble;
}

bool escape_stdout() { return isatty(STDOUT_FILENO) == 1; }

std::string escape_for_terminal(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string r;
    r.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '\\': r += "\\\\"; continue;
        case '\n': r += "\\n"; continue;
        case '\t': r += "\\t"; continue;
        case '\r': r += "\\r"; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            r += fmt::format("\\{:03o}", c);
            continue;
        }
        std::size_t n = utf8_sequence(s, i);
        // C1 controls (U+0080..U+009F) are escaped too: some terminals act on them.
        bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
        if (n == 0 || c1) {
            for (std::size_t k = 0; k < (c1 ? 2 : 1); ++k) {
                unsigned char b = static_cast<unsigned char>(s[i + k]);
                r += "\\x";
                r += hex[b >> 4];
                r += hex[b & 15];
            }
            i += c1 ? 1 : 0;
            continue;
        }
        r.append(s.data() + i, n);
        i += n - 1;
    }
    return r;
}

std::string shell_quote(std::string_view s) {
    bool plain = !s.empty();
    for (char c : s) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ',' || c == ':' ||
                    c == '@' || c == '%';
        if (!safe) {
            plain = false;
            break;
        }
    }
    if (plain)
        return std::string(s);
    std::string r = "'";
    for (char c : s) {
        if (c == '\'')
            r += "'\\''";
        else
            r += c;
    }
    r += '\'';
    return r;
}

std::string human_size(std::uint64_t bytes, bool si) {
    const char* units = si ? "kMGTPE" : "KMGTPE";
    const double base = si ? 1000 : 1024;
    if (bytes < base)
        return fmt::format("{}", bytes);
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= base && u < 5) {
        v /= base;
        ++u;
    }
    // du -h rounds up, so a size is never shown smaller than it is.
    if (v < 10) {
        double up = std::ceil(v * 10) / 10;
        if (up < 10)
            return fmt::format("{:.1f}{}", up, units[u]);
        v = up;
    }
    double up = std::ceil(v);
    if (up >= base && u < 5)
        return fmt::format("1.0{}", units[u + 1]);
    return fmt::format("{:.0f}{}", up, units[u]);
}

} // namespace syskit::out

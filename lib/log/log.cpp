#include "log/log.hpp"

#include "out/color.hpp"
#include "out/json.hpp"
#include "out/time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace syskit::log {

namespace {

bool needs_quotes(std::string_view v) {
    if (v.empty())
        return true;
    for (unsigned char c : v)
        if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f)
            return true;
    return false;
}

/// A logfmt value: bare when it can be, else double-quoted with \" \\ \n \r \t and \xHH for
/// other control bytes, so a hostile value cannot start a new line or a new field.
void append_logfmt(std::string& out, std::string_view v) {
    if (!needs_quotes(v)) {
        out += v;
        return;
    }
    out += '"';
    for (unsigned char c : v) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < ' ' || c == 0x7f)
                fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
            else
                out += static_cast<char>(c);
        }
    }
    out += '"';
}

std::string value_text(const Value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string_view>)
                return std::string(x);
            else if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
            else
                return fmt::format("{}", x);
        },
        v);
}

} // namespace

std::string_view level_name(Level l) {
    switch (l) {
    case Level::debug:
        return "debug";
    case Level::info:
        return "info";
    case Level::warn:
        return "warn";
    case Level::error:
        return "error";
    }
    return "info";
}

Logger::Logger(Format format, int fd) : format_(format), fd_(fd) {}

bool Logger::open(const std::string& path, std::string& error) {
    fs::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) {
        error = std::strerror(errno);
        return false;
    }
    file_ = std::move(fd);
    fd_ = file_.get();
    path_ = path;
    return true;
}

bool Logger::reopen(std::string& error) {
    if (!file_)
        return true;
    std::lock_guard lock(reopen_mu_);
    fs::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) {
        error = std::strerror(errno);
        return false;
    }
    if (dup3(fd.get(), fd_, O_CLOEXEC) < 0) {
        error = std::strerror(errno);
        return false;
    }
    return true;
}

std::string Logger::format_line(Level level, std::string_view msg, Fields fields, std::string_view time) const {
    std::string line;
    if (format_ == Format::json) {
        out::Object o;
        if (!time.empty())
            o.add("time", time);
        o.add("level", level_name(level)).add("msg", msg);
        for (const auto& field : fields) {
            std::string_view k = field.first;
            std::visit(
                [&o, k](const auto& x) {
                    using T = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<T, double>)
                        o.add_raw(k, fmt::format("{}", x));
                    else if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::int64_t> ||
                                       std::is_same_v<T, bool> || std::is_same_v<T, std::string_view>)
                        o.add(k, x);
                },
                field.second);
        }
        line = o.str();
    } else {
        if (!time.empty()) {
            line += "time=";
            line += time;
            line += ' ';
        }
        std::string field = "level=" + std::string(level_name(level));
        line += out::paint(field,
                           level == Level::error ? out::sgr::bold_red
                           : level == Level::warn ? out::sgr::bold_yellow
                                                  : std::string_view(),
                           color_);
        line += " msg=";
        append_logfmt(line, msg);
        for (const auto& [k, v] : fields) {
            line += ' ';
            line += k;
            line += '=';
            append_logfmt(line, value_text(v));
        }
    }
    line += '\n';
    return line;
}

void Logger::log(Level level, std::string_view msg, Fields fields) {
    if (level < min_)
        return;
    std::string line = format_line(level, msg, fields, out::rfc3339_now(3));
    // One write(2) per line: lines from several threads interleave whole.  A failing log
    // has nowhere to be reported.
    fs::write_all(fd_, line.data(), line.size());
}

} // namespace syskit::log

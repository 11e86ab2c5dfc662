#include "state.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>

namespace syskit::logroll {

namespace {

constexpr std::string_view header = "# logroll state: the last rotation of each log with a time trigger\n";

std::string escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    return out;
}

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool unescape(std::string_view s, std::string& out) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
            continue;
        }
        if (i + 1 >= s.size())
            return false;
        char n = s[++i];
        if (n == '\\') {
            out += '\\';
        } else if (n == 'n') {
            out += '\n';
        } else if (n == 'x' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            return false;
        }
    }
    return !out.empty();
}

std::string rfc3339(std::int64_t t) {
    std::time_t tt = t;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

bool parse_rfc3339(std::string_view s, std::int64_t& t) {
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        if (s[i] < '0' || s[i] > '9')
            return false;
    auto num = [&](std::size_t at, std::size_t n) {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i)
            v = v * 10 + (s[i] - '0');
        return v;
    };
    std::tm tm{};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(5, 2) - 1;
    tm.tm_mday = num(8, 2);
    tm.tm_hour = num(11, 2);
    tm.tm_min = num(14, 2);
    tm.tm_sec = num(17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    t = timegm(&tm);
    return rfc3339(t) == s;
}

} // namespace

std::string format_state(const State& state) {
    std::string out(header);
    for (const auto& [path, t] : state)
        out += rfc3339(t) + " " + escape(path) + "\n";
    return out;
}

State parse_state(std::string_view text, unsigned& bad) {
    State state;
    bad = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.empty() || line[0] == '#')
            continue;
        std::int64_t t = 0;
        std::string path;
        if (line.size() > 21 && line[20] == ' ' && parse_rfc3339(line.substr(0, 20), t) &&
            unescape(line.substr(21), path))
            state[path] = t;
        else
            ++bad;
    }
    return state;
}

namespace {

/// logrotate's "2026-12-1-17:0:0" (or, before 3.8, "2026-12-1"), in local time.
bool parse_logrotate_time(std::string_view date, std::int64_t& t) {
    int v[6] = {0, 0, 0, 0, 0, 0};
    int n = 0;
    std::size_t i = 0;
    while (n < 6) {
        const std::size_t start = i;
        while (i < date.size() && date[i] >= '0' && date[i] <= '9' && i - start < 5)
            v[n] = v[n] * 10 + (date[i++] - '0');
        if (i == start)
            return false;
        ++n;
        if (i == date.size())
            break;
        // Separators: '-' after the year, month and day, ':' after the hour and minute.
        if (n == 6 || date[i] != (n <= 3 ? '-' : ':'))
            return false;
        ++i;
    }
    if (i != date.size() || (n != 3 && n != 6) || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
        v[4] > 59 || v[5] > 60)
        return false;
    std::tm tm{};
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    tm.tm_isdst = -1;
    t = std::mktime(&tm);
    return true;
}

} // namespace

State parse_logrotate_state(std::string_view text, unsigned& bad) {
    State state;
    bad = 0;
    std::size_t pos = 0;
    bool header = true;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (std::exchange(header, false) && line.starts_with("logrotate state"))
            continue;
        if (line.empty())
            continue;
        std::string path;
        std::string_view date;
        if (line[0] == '"') {
            std::size_t i = 1;
            for (; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) {
                    ++i;
                    path += line[i] == 'n' ? '\n' : line[i];
                } else {
                    path += line[i];
                }
            }
            if (i >= line.size() || i + 1 >= line.size() || line[i + 1] != ' ') {
                ++bad;
                continue;
            }
            date = line.substr(i + 2);
        } else {
            auto space = line.rfind(' ');
            if (space == std::string_view::npos) {
                ++bad;
                continue;
            }
            path = line.substr(0, space);
            date = line.substr(space + 1);
        }
        std::int64_t t = 0;
        if (path.empty() || !parse_logrotate_time(date, t)) {
            ++bad;
            continue;
        }
        state[path] = t;
    }
    return state;
}

bool load_state(const std::string& path, State& state, unsigned& bad, std::string& error, StateFormat format,
                bool* missing) {
    std::string text;
    bad = 0;
    if (missing)
        *missing = false;
    if (!fs::read_file(path.c_str(), text, 64 << 20, AT_FDCWD, O_NOFOLLOW)) {
        if (errno == ENOENT) {
            state.clear();
            if (missing)
                *missing = true;
            return true;
        }
        error = fmt::format("{}: {}", path, std::strerror(errno));
        return false;
    }
    state = format == StateFormat::logroll ? parse_state(text, bad) : parse_logrotate_state(text, bad);
    return true;
}

namespace {

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

bool ready_state_dir(const std::string& path, bool& created, std::string& error) {
    const std::string dir = directory_of(path);
    created = false;
    if (::mkdir(dir.c_str(), 0755) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        error = fmt::format("mkdir({}): {}", dir, std::strerror(errno));
        return false;
    }
    // The effective ids decide, as they will for the temporary file save_state creates there.
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
        error = fmt::format("faccessat({}, W_OK): {}", dir, std::strerror(errno));
        return false;
    }
    return true;
}

bool save_state(const std::string& path, const State& state, std::string& error) {
    const std::string dir = directory_of(path);
    std::string tmp = path + ".tmp";
    auto fail = [&](const std::string& what) {
        error = fmt::format("{}: {}", what, std::strerror(errno));
        ::unlink(tmp.c_str());
        return false;
    };
    fs::UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd)
        return fail(dir);
    ::unlink(tmp.c_str());
    fs::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd)
        return fail(tmp);
    std::string text = format_state(state);
    if (!fs::write_all(fd.get(), text.data(), text.size()))
        return fail(tmp + ": write");
    if (::fsync(fd.get()) != 0)
        return fail(tmp + ": fsync");
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return fail(path + ": rename");
    if (::fsync(dirfd.get()) != 0) {
        error = fmt::format("{}: fsync: {}", dir, std::strerror(errno));
        return false;
    }
    return true;
}

} // namespace syskit::logroll

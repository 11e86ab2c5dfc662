#include "level.hpp"

#include <cstring>

namespace syskit::pipekit {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// A level from a bunyan/pino number.
Level level_from_number(std::string_view digits) {
    int n = 0;
    for (char c : digits)
        n = n * 10 + (c - '0');
    return n >= 60 ? Level::crit : n >= 50 ? Level::error : n >= 40 ? Level::warning
         : n >= 30 ? Level::info : n >= 20 ? Level::debug : Level::trace;
}

Level from_name_or_none(std::string_view name) { return level_from_name(name).value_or(Level::none); }

Level syslog_level(std::string_view line) {
    // "<" 1 to 3 digits ">", the value at most 191 (facility 23, severity 7).
    int pri = 0;
    std::size_t i = 1;
    for (; i < line.size() && i <= 3 && line[i] >= '0' && line[i] <= '9'; ++i)
        pri = pri * 10 + (line[i] - '0');
    if (i == 1 || i >= line.size() || line[i] != '>' || pri > 191)
        return Level::none;
    return static_cast<Level>(pri % 8);
}

Level json_level(std::string_view line) {
    static constexpr std::string_view key = "\"level\"";
    const char* p = static_cast<const char*>(memmem(line.data(), line.size(), key.data(), key.size()));
    if (!p)
        return Level::none;
    const char* end = line.data() + line.size();
    p += key.size();
    while (p < end && is_space(*p))
        ++p;
    if (p == end || *p != ':')
        return Level::none;
    ++p;
    while (p < end && is_space(*p))
        ++p;
    if (p < end && *p >= '0' && *p <= '9') {
        const char* q = p;
        while (q < end && q - p < 4 && *q >= '0' && *q <= '9')
            ++q;
        return level_from_number({p, static_cast<std::size_t>(q - p)});
    }
    if (p == end || *p != '"')
        return Level::none;
    ++p;
    auto close = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
    if (!close)
        return Level::none;
    return from_name_or_none({p, static_cast<std::size_t>(close - p)});
}

Level logfmt_level(std::string_view line) {
    static constexpr std::string_view key = "level=";
    const char* begin = line.data();
    const char* end = begin + line.size();
    const char* p = begin;
    while (p < end) {
        p = static_cast<const char*>(memmem(p, static_cast<std::size_t>(end - p), key.data(), key.size()));
        if (!p)
            return Level::none;
        if (p == begin || is_space(p[-1]))
            break;
        p += key.size();
    }
    if (p >= end)
        return Level::none;
    p += key.size();
    bool quoted = p < end && *p == '"';
    if (quoted)
        ++p;
    const char* q = p;
    while (q < end && !is_space(*q) && *q != '"')
        ++q;
    return from_name_or_none({p, static_cast<std::size_t>(q - p)});
}

/// "WORD:" (as in "ERROR: disk full" or Python's "ERROR:root:msg") or "[WORD]" among the first
/// four words, so that a timestamp or a host name may come first.
Level prefix_level(std::string_view line) {
    std::size_t i = 0, n = line.size();
    for (int word = 0; word < 4 && i < n; ++word) {
        while (i < n && is_space(line[i]))
            ++i;
        std::size_t start = i;
        while (i < n && !is_space(line[i]))
            ++i;
        std::string_view w = line.substr(start, i - start);
        if (w.size() < 3)
            continue;
        if (w.front() == '[') {
            auto close = w.find(']');
            if (close != std::string_view::npos)
                if (auto l = level_from_name(w.substr(1, close - 1)))
                    return *l;
            continue;
        }
        auto colon = w.find(':');
        if (colon != std::string_view::npos)
            if (auto l = level_from_name(w.substr(0, colon)))
                return *l;
    }
    return Level::none;
}

} // namespace

std::optional<Level> level_from_name(std::string_view name) {
    if (name.empty() || name.size() > 13)
        return std::nullopt;
    char low[16];
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        low[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    std::string_view s(low, name.size());
    static constexpr std::pair<std::string_view, Level> names[] = {
        {"emerg", Level::emerg},   {"emergency", Level::emerg}, {"panic", Level::emerg},
        {"alert", Level::alert},   {"crit", Level::crit},       {"critical", Level::crit},
        {"fatal", Level::crit},    {"err", Level::error},       {"error", Level::error},
        {"warn", Level::warning},  {"warning", Level::warning}, {"notice", Level::notice},
        {"info", Level::info},     {"informational", Level::info}, {"debug", Level::debug},
        {"trace", Level::trace},
    };
    for (auto& [k, v] : names)
        if (k == s)
            return v;
    return std::nullopt;
}

std::string_view level_name(Level level) {
    static constexpr std::string_view names[level_count] = {"emerg", "alert", "crit",  "error", "warning",
                                                            "notice", "info", "debug", "trace", "none"};
    return names[static_cast<int>(level)];
}

Level line_level(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i]))
        ++i;
    if (i == line.size())
        return Level::none;
    if (line[i] == '<' && i == 0)
        return syslog_level(line);
    if (line[i] == '{')
        return json_level(line);
    if (auto l = prefix_level(line); l != Level::none)
        return l;
    return logfmt_level(line);
}

} // namespace syskit::pipekit

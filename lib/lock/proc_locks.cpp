#include "lock/proc_locks.hpp"

#include <array>
#include <charconv>

namespace syskit::lock {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Splits on runs of white space, at most N tokens; returns how many there were, or N + 1
/// when there were more.
template <std::size_t N>
std::size_t split(std::string_view s, std::array<std::string_view, N>& out) {
    std::size_t n = 0, i = 0;
    while (true) {
        while (i < s.size() && is_space(s[i]))
            ++i;
        if (i == s.size())
            return n;
        std::size_t j = i;
        while (j < s.size() && !is_space(s[j]))
            ++j;
        if (n == N)
            return N + 1;
        out[n++] = s.substr(i, j - i);
        i = j;
    }
}

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) {
    if (s.empty())
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && end == s.data() + s.size();
}

bool is_word(std::string_view s) {
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || c == '*'))
            return false;
    return !s.empty();
}

/// "fe:00:1835020" (hex major, hex minor, decimal inode) or "<none>:0".
bool parse_file(std::string_view s, LockLine& l) {
    if (s == "<none>:0") {
        l.has_inode = false;
        return true;
    }
    std::size_t c1 = s.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : s.find(':', c1 + 1);
    if (c2 == std::string_view::npos)
        return false;
    std::string_view major = s.substr(0, c1), minor = s.substr(c1 + 1, c2 - c1 - 1);
    // from_chars accepts no sign for unsigned types, so "-1" is refused here.
    if (!parse_number(major, l.dev_major, 16) || !parse_number(minor, l.dev_minor, 16) ||
        !parse_number(s.substr(c2 + 1), l.inode))
        return false;
    l.has_inode = true;
    return true;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        f(text.substr(pos, end - pos));
        pos = end + 1;
    }
}

} // namespace

bool LockLine::same_lock(const LockLine& o) const {
    return waiting == o.waiting && type == o.type && state == o.state && mode == o.mode && pid == o.pid &&
           has_inode == o.has_inode && dev_major == o.dev_major && dev_minor == o.dev_minor && inode == o.inode &&
           start == o.start && end == o.end;
}

std::optional<LockLine> parse_lock_line(std::string_view line) {
    std::array<std::string_view, 9> t;
    std::size_t n = split(line, t);
    LockLine l;
    std::size_t i = 0;
    // "12:", or "12:" glued to nothing else: the ordinal.
    std::string_view ordinal = t[0];
    if (n == 0 || ordinal.size() < 2 || ordinal.back() != ':' ||
        !parse_number(ordinal.substr(0, ordinal.size() - 1), l.ordinal) || l.ordinal < 0)
        return std::nullopt;
    ++i;
    if (n > i && t[i] == "->") {
        l.waiting = true;
        ++i;
    }
    if (n != i + 7)
        return std::nullopt;
    l.type = t[i];
    l.state = t[i + 1];
    l.mode = t[i + 2];
    if (!is_word(l.type) || !is_word(l.state) || !is_word(l.mode))
        return std::nullopt;
    if (!parse_number(t[i + 3], l.pid) || l.pid < -1)
        return std::nullopt;
    if (!parse_file(t[i + 4], l))
        return std::nullopt;
    if (!parse_number(t[i + 5], l.start) || l.start < 0)
        return std::nullopt;
    if (t[i + 6] != "EOF") {
        std::int64_t end = 0;
        if (!parse_number(t[i + 6], end) || end < l.start)
            return std::nullopt;
        l.end = end;
    }
    return l;
}

std::vector<LockLine> parse_proc_locks(std::string_view text) {
    std::vector<LockLine> out;
    for_each_line(text, [&](std::string_view line) {
        if (auto l = parse_lock_line(line))
            out.push_back(std::move(*l));
    });
    return out;
}

std::vector<LockLine> parse_fdinfo_locks(std::string_view text) {
    static constexpr std::string_view prefix = "lock:";
    std::vector<LockLine> out;
    for_each_line(text, [&](std::string_view line) {
        if (line.substr(0, prefix.size()) != prefix)
            return;
        if (auto l = parse_lock_line(line.substr(prefix.size())))
            out.push_back(std::move(*l));
    });
    return out;
}

} // namespace syskit::lock

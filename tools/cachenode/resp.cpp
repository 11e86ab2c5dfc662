#include "resp.hpp"

#include <cctype>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace syskit::cachenode::resp {

namespace {

/// The line at in[pos...] up to CRLF, or why not: 0 found, 1 incomplete, 2 too long.
int line_at(std::string_view in, std::size_t pos, std::string_view& line, std::size_t& next) {
    std::size_t limit = std::min(in.size(), pos + ParseLimits::max_line + 2);
    const void* cr = std::memchr(in.data() + pos, '\r', limit - pos);
    if (!cr)
        return limit - pos >= ParseLimits::max_line + 2 ? 2 : 1;
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(cr) - in.data());
    if (at + 1 >= in.size())
        return 1;
    line = in.substr(pos, at - pos);
    next = at + 2;
    return 0;
}

/// A length: an optional '-' and 1 to 18 digits, nothing else.
bool parse_length(std::string_view s, std::int64_t& v) {
    if (s.empty() || s.size() > 19)
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
}

} // namespace

void Parser::reset() {
    pos_ = 0;
    expected_ = -1;
    spans_.clear();
}

Parse Parser::parse(std::string_view in, std::vector<std::string_view>& argv, std::size_t& consumed,
                    std::string& error) {
    argv.clear();
    if (in.empty())
        return Parse::incomplete;
    if (expected_ < 0 && in[0] != '*')
        return inline_request(in, argv, consumed, error);
    std::string_view line;
    std::size_t next = 0;
    if (expected_ < 0) {
        int r = line_at(in, 1, line, next);
        if (r == 1)
            return Parse::incomplete;
        std::int64_t n = 0;
        if (r == 2) {
            error = "ERR Protocol error: too big mbulk count string";
            return Parse::error;
        }
        if (in[next - 1] != '\n' || !parse_length(line, n) || n > static_cast<std::int64_t>(limits_.max_args)) {
            error = "ERR Protocol error: invalid multibulk length";
            return Parse::error;
        }
        if (n <= 0) { // "*0" and "*-1": an empty request, skipped as Redis does
            consumed = next;
            return Parse::complete;
        }
        expected_ = n;
        pos_ = next;
    }
    while (static_cast<std::int64_t>(spans_.size()) < expected_) {
        if (pos_ >= in.size())
            return Parse::incomplete;
        if (in[pos_] != '$') {
            error = "ERR Protocol error: expected '$', got '";
            error += in[pos_];
            error += "'";
            reset();
            return Parse::error;
        }
        int r = line_at(in, pos_ + 1, line, next);
        if (r == 1)
            return Parse::incomplete;
        std::int64_t len = 0;
        if (r == 2) {
            error = "ERR Protocol error: too big bulk count string";
            reset();
            return Parse::error;
        }
        if (in[next - 1] != '\n' || !parse_length(line, len) || len < 0 ||
            static_cast<std::uint64_t>(len) > limits_.max_bulk) {
            error = "ERR Protocol error: invalid bulk length";
            reset();
            return Parse::error;
        }
        auto ulen = static_cast<std::size_t>(len);
        if (next + ulen + 2 > limits_.max_request) {
            error = "ERR Protocol error: request larger than " + std::to_string(limits_.max_request) + " bytes";
            reset();
            return Parse::error;
        }
        if (next + ulen + 2 > in.size())
            return Parse::incomplete; // the argument's length line is read again with its bytes
        if (in[next + ulen] != '\r' || in[next + ulen + 1] != '\n') {
            error = "ERR Protocol error: bulk string not followed by CRLF";
            reset();
            return Parse::error;
        }
        spans_.emplace_back(next, ulen);
        pos_ = next + ulen + 2;
    }
    argv.reserve(spans_.size());
    for (auto [off, len] : spans_)
        argv.emplace_back(in.data() + off, len);
    consumed = pos_;
    reset();
    return Parse::complete;
}

Parse Parser::inline_request(std::string_view in, std::vector<std::string_view>& argv, std::size_t& consumed,
                             std::string& error) {
    std::size_t limit = std::min(in.size(), std::min(ParseLimits::max_line, limits_.max_request) + 1);
    const void* nl = std::memchr(in.data(), '\n', limit);
    if (!nl) {
        if (limit == in.size() && in.size() <= std::min(ParseLimits::max_line, limits_.max_request))
            return Parse::incomplete;
        error = "ERR Protocol error: too big inline request";
        return Parse::error;
    }
    std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - in.data());
    consumed = end + 1;
    std::string_view line = in.substr(0, end);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    // Redis's quoting: "..." with \n \r \t \b \a \\ \" and \xHH escapes, '...' with \', and
    // a closing quote must end the argument.
    inline_args_.clear();
    auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    std::size_t i = 0;
    for (;;) {
        while (i < line.size() && space(line[i]))
            ++i;
        if (i == line.size())
            break;
        std::string arg;
        char quote = 0;
        for (;;) {
            if (i == line.size()) {
                if (quote) {
                    error = "ERR Protocol error: unbalanced quotes in request";
                    return Parse::error;
                }
                break;
            }
            char c = line[i];
            if (quote == '"' && c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && is_hex(line[i + 2]) &&
                is_hex(line[i + 3])) {
                arg += static_cast<char>(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                i += 4;
            } else if (quote == '"' && c == '\\' && i + 1 < line.size()) {
                char e = line[i + 1];
                arg += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b' : e == 'a' ? '\a' : e;
                i += 2;
            } else if (quote == '\'' && c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
                arg += '\'';
                i += 2;
            } else if (quote && c == quote) {
                ++i;
                if (i < line.size() && !space(line[i])) {
                    error = "ERR Protocol error: unbalanced quotes in request";
                    return Parse::error;
                }
                break;
            } else if (!quote && (c == '"' || c == '\'')) {
                quote = c;
                ++i;
            } else if (!quote && space(c)) {
                break;
            } else {
                arg += c;
                ++i;
            }
        }
        if (inline_args_.size() >= limits_.max_args) {
            error = "ERR Protocol error: invalid multibulk length";
            return Parse::error;
        }
        inline_args_.push_back(std::move(arg));
    }
    for (const std::string& a : inline_args_)
        argv.emplace_back(a);
    return Parse::complete;
}

void simple(std::string& out, std::string_view s) {
    out += '+';
    out += s;
    out += "\r\n";
}

void error(std::string& out, std::string_view msg) {
    out += '-';
    // An error reply is one line: a message quoting client bytes must not break the framing.
    for (char c : msg)
        out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
}

void integer(std::string& out, std::int64_t v) {
    char buf[24];
    buf[0] = ':';
    auto r = std::to_chars(buf + 1, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
    out += "\r\n";
}

void bulk(std::string& out, std::string_view s) {
    char buf[24];
    buf[0] = '$';
    auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, s.size());
    *r.ptr++ = '\r';
    *r.ptr++ = '\n';
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
    out += s;
    out += "\r\n";
}

void null_bulk(std::string& out) { out += "$-1\r\n"; }

namespace {

void header(std::string& out, char kind, std::size_t n) {
    char buf[24];
    buf[0] = kind;
    auto r = std::to_chars(buf + 1, buf + sizeof buf, n);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
    out += "\r\n";
}

} // namespace

void array(std::string& out, std::size_t n) { header(out, '*', n); }

void help(std::string& out, std::string_view container, std::initializer_list<std::string_view> lines) {
    array(out, lines.size() + 3);
    std::string usage(container);
    usage += " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:";
    simple(out, usage);
    for (std::string_view l : lines)
        simple(out, l);
    simple(out, "HELP");
    simple(out, "    Print this help.");
}

void command(std::string& out, std::initializer_list<std::string_view> args) {
    array(out, args.size());
    for (std::string_view a : args)
        bulk(out, a);
}

void null(std::string& out, bool resp3) { out += resp3 ? "_\r\n" : "$-1\r\n"; }

void null_array(std::string& out, bool resp3) { out += resp3 ? "_\r\n" : "*-1\r\n"; }

void map(std::string& out, std::size_t n, bool resp3) {
    if (resp3)
        header(out, '%', n);
    else
        header(out, '*', 2 * n);
}

void set(std::string& out, std::size_t n, bool resp3) { header(out, resp3 ? '~' : '*', n); }

void double_reply(std::string& out, double v, bool resp3) {
    std::string text;
    if (std::isinf(v)) {
        text = v > 0 ? "inf" : "-inf";
    } else {
        // %.17g, as Redis: the shortest form that reads back the same double.
        char buf[64];
        int n = std::snprintf(buf, sizeof buf, "%.17g", v);
        text.assign(buf, static_cast<std::size_t>(n));
    }
    if (!resp3) {
        bulk(out, text);
        return;
    }
    out += ',';
    out += text;
    out += "\r\n";
}

void verbatim(std::string& out, std::string_view format, std::string_view text, bool resp3) {
    if (!resp3) {
        bulk(out, text);
        return;
    }
    header(out, '=', format.size() + 1 + text.size());
    out += format;
    out += ':';
    out += text;
    out += "\r\n";
}

void boolean(std::string& out, bool v, bool resp3) {
    if (resp3)
        out += v ? "#t\r\n" : "#f\r\n";
    else
        integer(out, v ? 1 : 0);
}

} // namespace syskit::cachenode::resp

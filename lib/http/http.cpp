#include "http/http.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace syskit::http {

namespace {

/// A body's memory kept for the connection's next request up to this size; a larger one is
/// given back.
constexpr std::size_t kept_body = 64 * 1024;

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

} // namespace

std::string_view Request::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
    std::string_view t = target;
    std::size_t q = t.find('?');
    if (q == std::string_view::npos)
        return {};
    t = t.substr(q + 1);
    return t.substr(0, t.find('#'));
}

const std::string* Request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name)
            return &v;
    return nullptr;
}

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_message_begin = on_message_begin;
    settings_.on_url = on_url;
    settings_.on_header_field = on_header_field;
    settings_.on_header_value = on_header_value;
    settings_.on_headers_complete = on_headers_complete;
    settings_.on_body = on_body;
    settings_.on_message_complete = on_message_complete;
}

bool RequestParser::fail(int status, std::string message) {
    error_status_ = status;
    error_message_ = std::move(message);
    return false;
}

bool RequestParser::count_head(std::size_t n) {
    head_bytes_ += n;
    return head_bytes_ <= limits_.max_head;
}

int RequestParser::on_message_begin(http_parser* p) {
    auto* self = static_cast<RequestParser*>(p->data);
    // Cleared rather than replaced, so that the next request of the connection reuses the
    // memory, except for a large body's.
    Request& r = self->req_;
    r.method.clear();
    r.target.clear();
    r.headers.clear();
    if (r.body.capacity() > kept_body)
        std::string().swap(r.body);
    r.body.clear();
    r.keep_alive = true;
    self->head_bytes_ = 0;
    self->in_value_ = false;
    self->complete_ = false;
    return 0;
}

int RequestParser::on_url(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<RequestParser*>(p->data);
    if (!self->count_head(n))
        return self->fail(414, "request line too long"), 1;
    self->req_.target.append(at, n);
    return 0;
}

int RequestParser::on_header_field(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<RequestParser*>(p->data);
    if (!self->count_head(n))
        return self->fail(431, "request header fields too large"), 1;
    auto& hs = self->req_.headers;
    if (hs.empty() || self->in_value_)
        hs.emplace_back();
    self->in_value_ = false;
    // http-parser's lenient mode lets a space into a field name ("Host : x"); RFC 9112
    // section 5.1 says to answer 400, as a proxy may read such a field differently.
    if (std::find_if(at, at + n, [](char c) { return c == ' ' || c == '\t'; }) != at + n)
        return self->fail(400, "white space in a header field name"), 1;
    std::string& name = hs.back().first;
    std::size_t had = name.size();
    name.resize(had + n);
    for (std::size_t i = 0; i < n; ++i)
        name[had + i] = ascii_lower(at[i]);
    return 0;
}

int RequestParser::on_header_value(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<RequestParser*>(p->data);
    if (!self->count_head(n))
        return self->fail(431, "request header fields too large"), 1;
    self->in_value_ = true;
    self->req_.headers.back().second.append(at, n);
    return 0;
}

int RequestParser::on_headers_complete(http_parser* p) {
    auto* self = static_cast<RequestParser*>(p->data);
    Request& r = self->req_;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.keep_alive = http_should_keep_alive(p) != 0;
    if (const std::string* te = r.header("transfer-encoding")) {
        std::string v = *te;
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
        v.erase(0, v.find_first_not_of(" \t"));
        v.erase(v.find_last_not_of(" \t") + 1);
        if (v != "chunked")
            return self->fail(501, fmt::format("transfer coding '{}' not implemented", *te)), -1;
    }
    // The absolute form ("GET http://host/path"), which a server must accept (RFC 9112
    // section 3.2.2): the path is what follows the authority.
    std::string_view t = r.target;
    for (std::string_view scheme : {"http://", "https://"})
        if (t.size() >= scheme.size() &&
            std::equal(scheme.begin(), scheme.end(), t.begin(),
                       [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
            std::size_t slash = t.find_first_of("/?", scheme.size());
            std::string path = slash == std::string_view::npos || t[slash] == '?' ? "/" : "";
            if (slash != std::string_view::npos)
                path += t.substr(slash);
            r.target = std::move(path);
            break;
        }
    self->body_max_ = self->body_limit ? self->body_limit(r) : self->limits_.max_body;
    // Content-Length is checked before any of the body arrives; chunked bodies as they do.
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > self->body_max_)
        return self->fail(413, fmt::format("request body larger than {} bytes", self->body_max_)), -1;
    if (const std::string* e = r.header("expect")) {
        std::string v = *e;
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
        self->continue_ = v == "100-continue";
    }
    return 0;
}

int RequestParser::on_body(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<RequestParser*>(p->data);
    if (self->req_.body.size() + n > self->body_max_)
        return self->fail(413, fmt::format("request body larger than {} bytes", self->body_max_)), 1;
    self->req_.body.append(at, n);
    if ((p->flags & F_CHUNKED) && p->content_length == 0) {
        // The chunk's data is complete: CRLF must follow it, here or in the next input.
        const char* crlf = "\r\n";
        std::size_t i = 0;
        for (; i < 2 && at + n + i < self->input_end_; ++i)
            if (at[n + i] != crlf[i])
                return self->fail(400, "chunk data not followed by CRLF"), 1;
        self->crlf_due_ = 2 - i;
    }
    return 0;
}

int RequestParser::on_message_complete(http_parser* p) {
    auto* self = static_cast<RequestParser*>(p->data);
    self->complete_ = true;
    // Stop after each request, so the caller answers it before parsing the next one.
    http_parser_pause(p, 1);
    return 0;
}

bool RequestParser::take_continue() { return std::exchange(continue_, false); }

RequestParser::Result RequestParser::parse(std::string_view data, std::size_t& consumed) {
    if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED)
        http_parser_pause(&parser_, 0);
    if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
        if (error_status_ == 0)
            fail(400, http_errno_description(HTTP_PARSER_ERRNO(&parser_)));
        return Result::error;
    }
    complete_ = false;
    // Checked, not consumed: http-parser reads them too.
    for (std::size_t i = 0; crlf_due_ && i < data.size(); --crlf_due_, ++i)
        if (data[i] != "\r\n"[2 - crlf_due_]) {
            fail(400, "chunk data not followed by CRLF");
            return Result::error;
        }
    input_end_ = data.data() + data.size();
    consumed = http_parser_execute(&parser_, &settings_, data.data(), data.size());
    auto err = HTTP_PARSER_ERRNO(&parser_);
    if (complete_)
        return Result::request;
    if (err != HPE_OK) {
        if (error_status_ == 0)
            fail(err == HPE_HEADER_OVERFLOW ? 431 : 400, http_errno_description(err));
        return Result::error;
    }
    return Result::need_more;
}

std::string_view reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 501: return "Not Implemented";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

void write_head(std::string& out, int status, std::string_view content_type, std::size_t content_length,
                bool keep_alive, std::string_view extra_headers) {
    // Written in place, with room made once, rather than formatted: this runs once per request.
    std::string_view why = reason(status);
    std::size_t at = out.size();
    out.resize(at + 112 + why.size() + content_type.size() + extra_headers.size());
    char* p = out.data() + at;
    auto put = [&](std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
    put("HTTP/1.1 ");
    p = std::to_chars(p, p + 11, status).ptr;
    put(" ");
    put(why);
    put("\r\n");
    if (!content_type.empty()) {
        put("Content-Type: ");
        put(content_type);
        put("\r\n");
    }
    if (status != 204) {
        put("Content-Length: ");
        p = std::to_chars(p, p + 20, content_length).ptr;
        put("\r\n");
    }
    put(keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    put(extra_headers);
    put("\r\n");
    out.resize(static_cast<std::size_t>(p - out.data()));
}

void write_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                    bool keep_alive, std::string_view extra_headers, bool head_only) {
    write_head(out, status, content_type, body.size(), keep_alive, extra_headers);
    if (!head_only && status != 204)
        out += body;
}

namespace {
int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
} // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string r;
    r.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        // What needs no decoding goes in as one piece.
        std::size_t run = i;
        while (run < s.size() && s[run] != '%' && !(plus_is_space && s[run] == '+'))
            ++run;
        r.append(s.data() + i, run - i);
        i = run;
        if (i == s.size())
            break;
        if (s[i] == '+') {
            r += ' ';
            continue;
        }
        if (i + 2 >= s.size())
            return std::nullopt;
        int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        r += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return r;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        std::size_t eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq), true);
        if (k && *k == name)
            return percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    }
    return std::nullopt;
}

} // namespace syskit::http

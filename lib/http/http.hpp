// http: HTTP/1.1 for servers: an incremental request parser over http-parser with limits on
// the head and the body, pipelining and keep-alive, response writing, and URL decoding
// (book chapter 10).
#pragma once

#include <http_parser.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::http {

struct Request {
    std::string method; ///< "GET", "POST", ...
    std::string target; ///< as sent: "/get?key=a%20b"
    std::vector<std::pair<std::string, std::string>> headers; ///< names in lower case
    std::string body;
    bool keep_alive = true;

    /// The path of target, still percent-encoded: "/get".
    std::string_view path() const;
    /// The query of target without the '?': "key=a%20b"; empty when none.
    std::string_view query() const;
    /// The first header called name (lower case); nullptr when absent.
    const std::string* header(std::string_view name) const;
};

struct Limits {
    std::size_t max_head = 64 * 1024;          ///< request line and headers
    std::size_t max_body = std::size_t{16} << 20;
};

/// Parses the requests of one connection, one at a time, across reads.  An Upgrade header is
/// ignored, as RFC 9110 allows: http-parser completes such a request like any other, and the
/// connection goes on in HTTP/1.1.
class RequestParser {
public:
    enum class Result {
        need_more, ///< all of the input was used; no request is complete yet
        request,   ///< request() is complete; consumed says how much input it took
        error,     ///< malformed or over a limit: answer error_status() and close
    };

    explicit RequestParser(const Limits& limits = {});
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    void set_limits(const Limits& limits) { limits_ = limits; }

    /// Called when a request's head is complete; returns the largest body to accept for it
    /// (for example a smaller one before authentication).  Unset: Limits::max_body.
    std::function<std::size_t(const Request&)> body_limit;

    Result parse(std::string_view data, std::size_t& consumed);
    Request& request() { return req_; }
    /// Whether the request whose head was just read asked for "100 Continue"; reading it
    /// clears it.
    bool take_continue();
    int error_status() const { return error_status_; }
    const std::string& error_message() const { return error_message_; }

private:
    static int on_message_begin(http_parser* p);
    static int on_url(http_parser* p, const char* at, std::size_t n);
    static int on_header_field(http_parser* p, const char* at, std::size_t n);
    static int on_header_value(http_parser* p, const char* at, std::size_t n);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, std::size_t n);
    static int on_message_complete(http_parser* p);
    bool fail(int status, std::string message);
    bool count_head(std::size_t n);

    http_parser parser_{};
    http_parser_settings settings_{};
    Limits limits_;
    Request req_;
    std::size_t head_bytes_ = 0;
    std::size_t body_max_ = 0;
    bool in_value_ = false;
    bool complete_ = false;
    bool continue_ = false;
    /// The end of the input being parsed, and how many bytes of the CRLF that must follow a
    /// chunk's data are still to be checked at the start of the next input (http-parser,
    /// built without its strict mode, does not check them).
    const char* input_end_ = nullptr;
    std::size_t crlf_due_ = 0;
    int error_status_ = 0;
    std::string error_message_;
};

/// "OK", "Not Found", ...; "Unknown" for a code it does not know.
std::string_view reason(int status);

/// Appends a response's head: status line, Content-Type (when not empty), Content-Length (but
/// for a 204), Connection, the extra header lines (each ending in CRLF), the empty line.  For a
/// caller that appends a body of content_length bytes itself.
void write_head(std::string& out, int status, std::string_view content_type, std::size_t content_length,
                bool keep_alive, std::string_view extra_headers = {});

/// Appends a whole response: status line, Content-Type (when not empty), Content-Length,
/// Connection, the extra header lines (each ending in CRLF), then body unless head_only.
void write_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                    bool keep_alive, std::string_view extra_headers = {}, bool head_only = false);

/// Decodes %XX escapes (and '+' as a space when plus_is_space, as in a query); nullopt when an
/// escape is malformed.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

/// The decoded value of the first name=value pair called name in a query; nullopt when absent
/// or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

} // namespace syskit::http

// response: HTTP/1.1 responses for clients: an incremental parser over http-parser, with a
// limit on the head and the body (book chapters 7 and 10).
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::http {

struct Response {
    unsigned version_major = 1, version_minor = 1;
    int status = 0;
    std::string reason;                                       ///< "OK", as the server wrote it
    std::vector<std::pair<std::string, std::string>> headers; ///< as sent, in order
    std::string body;                                         ///< chunked encoding undone
    bool keep_alive = true;
};

class ResponseParser {
public:
    enum class Result {
        need_more, ///< all of the input was used; the response is not complete yet
        response,  ///< response() is complete; consumed says how much input it took
        error,     ///< malformed or over a limit; error() says which
    };

    /// head_request: the response answers a HEAD, so it has no body whatever its headers say.
    explicit ResponseParser(bool head_request = false, std::size_t max_body = std::size_t{1} << 30);
    ResponseParser(const ResponseParser&) = delete;
    ResponseParser& operator=(const ResponseParser&) = delete;

    Result parse(std::string_view data, std::size_t& consumed);
    /// The server closed the connection: completes a response whose body runs to the close.
    Result finish();
    Response& response() { return res_; }
    const std::string& error() const { return error_; }

private:
    static int on_status(http_parser* p, const char* at, std::size_t n);
    static int on_header_field(http_parser* p, const char* at, std::size_t n);
    static int on_header_value(http_parser* p, const char* at, std::size_t n);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, std::size_t n);
    static int on_message_complete(http_parser* p);

    http_parser parser_{};
    http_parser_settings settings_{};
    Response res_;
    bool head_request_;
    std::size_t max_body_;
    std::size_t head_bytes_ = 0;
    bool in_value_ = false;
    bool complete_ = false;
    std::string error_;
};

} // namespace syskit::http

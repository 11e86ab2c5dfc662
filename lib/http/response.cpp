#include "http/response.hpp"

namespace syskit::http {

namespace {
/// The largest status line and headers accepted.
constexpr std::size_t max_head = 64 * 1024;
} // namespace

ResponseParser::ResponseParser(bool head_request, std::size_t max_body)
    : head_request_(head_request), max_body_(max_body) {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    settings_.on_status = on_status;
    settings_.on_header_field = on_header_field;
    settings_.on_header_value = on_header_value;
    settings_.on_headers_complete = on_headers_complete;
    settings_.on_body = on_body;
    settings_.on_message_complete = on_message_complete;
}

int ResponseParser::on_status(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<ResponseParser*>(p->data);
    if ((self->head_bytes_ += n) > max_head)
        return 1;
    self->res_.reason.append(at, n);
    return 0;
}

int ResponseParser::on_header_field(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<ResponseParser*>(p->data);
    if ((self->head_bytes_ += n) > max_head)
        return 1;
    if (self->in_value_ || self->res_.headers.empty())
        self->res_.headers.emplace_back();
    self->in_value_ = false;
    self->res_.headers.back().first.append(at, n);
    return 0;
}

int ResponseParser::on_header_value(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<ResponseParser*>(p->data);
    if ((self->head_bytes_ += n) > max_head)
        return 1;
    self->in_value_ = true;
    self->res_.headers.back().second.append(at, n);
    return 0;
}

int ResponseParser::on_headers_complete(http_parser* p) {
    auto* self = static_cast<ResponseParser*>(p->data);
    self->res_.status = static_cast<int>(p->status_code);
    self->res_.version_major = p->http_major;
    self->res_.version_minor = p->http_minor;
    // 1: the response has no body, which http-parser cannot know for a HEAD.
    return self->head_request_ ? 1 : 0;
}

int ResponseParser::on_body(http_parser* p, const char* at, std::size_t n) {
    auto* self = static_cast<ResponseParser*>(p->data);
    if (self->res_.body.size() + n > self->max_body_) {
        self->error_ = "the response body is larger than " + std::to_string(self->max_body_) + " bytes";
        return 1;
    }
    self->res_.body.append(at, n);
    return 0;
}

int ResponseParser::on_message_complete(http_parser* p) {
    auto* self = static_cast<ResponseParser*>(p->data);
    self->res_.keep_alive = http_should_keep_alive(p) != 0;
    self->complete_ = true;
    http_parser_pause(p, 1);
    return 0;
}

ResponseParser::Result ResponseParser::parse(std::string_view data, std::size_t& consumed) {
    consumed = http_parser_execute(&parser_, &settings_, data.data(), data.size());
    if (complete_)
        return Result::response;
    auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err != HPE_OK) {
        if (error_.empty())
            error_ = head_bytes_ > max_head ? "the response head is larger than 64 KiB"
                                            : std::string("malformed response: ") + http_errno_description(err);
        return Result::error;
    }
    return Result::need_more;
}

ResponseParser::Result ResponseParser::finish() {
    if (complete_)
        return Result::response;
    http_parser_execute(&parser_, &settings_, nullptr, 0);
    if (complete_)
        return Result::response;
    error_ = "the server closed the connection before the response was complete";
    return Result::error;
}

} // namespace syskit::http

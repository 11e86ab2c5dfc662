// http_api: cachenode over HTTP/1.1: the book's API (POST /set, GET /get?key=), the REST form
// (GET/PUT/DELETE /v1/keys/{key}), GET /metrics and GET /healthz.
#pragma once

#include "commands.hpp"
#include "http/http.hpp"
#include "net/tcp.hpp"

#include <string>
#include <string_view>

namespace syskit::cachenode {

/// Requests without valid credentials may have bodies this large, and no larger.
constexpr std::size_t unauthenticated_body = 16 * 1024;

class HttpSession final : public net::Session {
public:
    HttpSession(Shared& shared, WorkerStats& stats);
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override;

private:
    bool authorized(const http::Request& r) const;
    /// Answers one request; returns its operation, for the counters, and whether it went well.
    Op handle(const http::Request& r, std::string& out, bool& ok);

    Shared& sh_;
    WorkerStats& ws_;
    http::RequestParser parser_;
};

} // namespace syskit::cachenode

// http_api: cachenode over HTTP/1.1: the book's API (POST /set, GET /get?key=), the REST form
// (GET/PUT/DELETE /v1/keys/{key}), GET /metrics and GET /healthz, and in a cluster GET /cluster;
// a key another node serves is forwarded to it (forward.hpp).
#pragma once

#include "commands.hpp"
#include "forward.hpp"
#include "http/http.hpp"
#include "net/tcp.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::cachenode {

/// Requests without valid credentials may have bodies this large, and no larger.
constexpr std::size_t unauthenticated_body = 16 * 1024;

class HttpSession final : public net::Session {
public:
    HttpSession(Shared& shared, WorkerStats& stats);
    ~HttpSession() override;
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override;
    void attached(uv_loop_t* loop, std::function<void()> resume) override;

    /// How a forwarded key operation is answered: as the route that took it would have.
    enum class Answer { book_get, book_set, key_get, key_put, key_delete };
    /// A request whose answer waits for another node (forward.hpp); requests behind it wait.
    struct Pending {
        std::shared_ptr<Forwarding> forwarding;
        Answer answer;
        Op op;
        bool keep_alive, head;
        KeyOp::Kind kind;
        std::string key, value; ///< run here after all when a redirection leads back
        std::int64_t ttl_ms;
        std::chrono::steady_clock::time_point start;
    };

private:
    bool authorized(const http::Request& r) const;
    /// Answers one request; returns its operation, for the counters, and whether it went well.
    Op handle(const http::Request& r, std::string& out, bool& ok);

    Shared& sh_;
    WorkerStats& ws_;
    http::RequestParser parser_;
    uv_loop_t* loop_ = nullptr;
    std::function<void()> resume_;
    std::unique_ptr<Pending> pending_;
    std::string body_; ///< where a reply's body is built (Exchange::body)
};

} // namespace syskit::cachenode

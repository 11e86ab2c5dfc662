#include "http_api.hpp"

#include "metrics/metrics.hpp"
#include "out/json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <limits>

namespace syskit::cachenode {

namespace {

constexpr std::string_view text_plain = "text/plain; charset=utf-8";
constexpr std::string_view keys_prefix = "/v1/keys/";

/// A TTL in milliseconds from a query or JSON: a positive decimal integer.
bool parse_ttl(std::string_view s, std::int64_t& ms) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size() && ms > 0;
}

bool ieq_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if ((s[i] | 0x20) != (prefix[i] | 0x20))
            return false;
    return true;
}

} // namespace

HttpSession::HttpSession(Shared& shared, WorkerStats& stats) : sh_(shared), ws_(stats) {
    http::Limits limits;
    limits.max_body = sh_.cfg.max_request;
    parser_.set_limits(limits);
    parser_.body_limit = [this](const http::Request& r) {
        return authorized(r) ? sh_.cfg.max_request : unauthenticated_body;
    };
}

bool HttpSession::authorized(const http::Request& r) const {
    if (!sh_.auth.required())
        return true;
    const std::string* h = r.header("authorization");
    if (!h || !ieq_prefix(*h, "bearer "))
        return false;
    std::string_view token = std::string_view(*h).substr(7);
    while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
    return sh_.auth.check(token);
}

net::After HttpSession::on_data(std::string_view in, std::size_t& consumed, std::string& out) {
    consumed = 0;
    auto start = std::chrono::steady_clock::now();
    Store::TimeScope at(sh_.store, start);
    std::uint64_t answered = 0;
    net::After after = net::After::keep;
    while (consumed < in.size()) {
        std::size_t used = 0;
        auto r = parser_.parse(in.substr(consumed), used);
        consumed += used;
        if (parser_.take_continue())
            out += "HTTP/1.1 100 Continue\r\n\r\n";
        if (r == http::RequestParser::Result::need_more)
            break;
        if (r == http::RequestParser::Result::error) {
            http::write_response(out, parser_.error_status(), text_plain, parser_.error_message() + "\n", false);
            ws_.record(Proto::http, Op::bad_request, false);
            consumed = in.size();
            after = net::After::close;
            break;
        }
        http::Request& req = parser_.request();
        bool ok = false;
        Op op = handle(req, out, ok);
        ws_.record(Proto::http, op, ok);
        ++answered;
        if (!req.keep_alive) {
            after = net::After::close;
            break;
        }
    }
    // Two clock readings per read, as for RESP.
    if (answered)
        ws_.answered(answered, std::chrono::steady_clock::now() - start);
    return after;
}

Op HttpSession::handle(http::Request& r, std::string& out, bool& ok) {
    bool head = r.method == "HEAD";
    auto respond = [&](int status, std::string_view type, std::string_view body, std::string_view extra = {}) {
        http::write_response(out, status, type, body, r.keep_alive, extra, head);
        ok = status < 400;
    };
    auto error = [&](int status, std::string_view msg) { respond(status, text_plain, fmt::format("{}\n", msg)); };
    auto not_allowed = [&](std::string_view allow) {
        respond(405, text_plain, "method not allowed\n", fmt::format("Allow: {}\r\n", allow));
    };
    std::string_view path = r.path();
    bool read = r.method == "GET" || head;

    if (path == "/healthz") {
        if (!read)
            return not_allowed("GET, HEAD"), Op::healthz;
        respond(200, text_plain, "ok\n");
        return Op::healthz;
    }
    if (!authorized(r)) {
        respond(401, text_plain, "authentication required\n", "WWW-Authenticate: Bearer realm=\"cachenode\"\r\n");
        return Op::auth;
    }
    const Config& cfg = sh_.cfg;
    Store& store = sh_.store;
    auto status_of = [&](Status st) {
        if (st == Status::ok)
            return true;
        error(507, "out of memory: the cache is full and the eviction policy is noeviction");
        return false;
    };

    if (path == "/metrics") {
        if (!read)
            return not_allowed("GET, HEAD"), Op::metrics;
        respond(200, metrics::Writer::content_type, sh_.stats.prometheus());
        return Op::metrics;
    }
    if (path == "/get") {
        if (!read)
            return not_allowed("GET, HEAD"), Op::get;
        auto key = http::query_param(r.query(), "key");
        if (!key)
            return error(400, "missing query parameter: key"), Op::get;
        std::string body;
        bool found = store.get(*key, [&](std::string_view v) {
            body = "{\"value\":\"";
            out::append_json_string(body, v);
            body += "\"}\n";
        });
        if (!found) {
            error(404, "404 page not found");
            ok = true; // a miss is an answer, not a failure
            return Op::get;
        }
        respond(200, "application/json", body);
        return Op::get;
    }
    if (path == "/set") {
        if (r.method != "POST")
            return not_allowed("POST"), Op::set;
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return error(400, "the body must be a JSON object {\"key\": ..., \"value\": ...}"), Op::set;
        auto k = j.find("key");
        auto v = j.find("value");
        if (k == j.end() || !k->is_string() || v == j.end() || !v->is_string())
            return error(400, "\"key\" and \"value\" must be strings"), Op::set;
        const auto& key = k->get_ref<const std::string&>();
        const auto& value = v->get_ref<const std::string&>();
        SetArgs args;
        if (auto t = j.find("ttl_ms"); t != j.end()) {
            if (!t->is_number_unsigned() || t->get<std::uint64_t>() == 0 ||
                t->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()) * 1000)
                return error(400, "\"ttl_ms\" must be a positive integer"), Op::set;
            args.expire_at = store.now() + static_cast<std::int64_t>(t->get<std::uint64_t>());
        }
        if (key.size() > cfg.max_key)
            return error(400, fmt::format("key is larger than max-key ({} bytes)", cfg.max_key)), Op::set;
        if (value.size() > cfg.store.max_value)
            return error(413, fmt::format("value is larger than max-value ({} bytes)", cfg.store.max_value)), Op::set;
        if (status_of(store.set(key, value, args)))
            respond(200, "", "");
        return Op::set;
    }
    if (path.starts_with(keys_prefix)) {
        auto key = http::percent_decode(path.substr(keys_prefix.size()), false);
        Op op = read ? Op::get : r.method == "PUT" ? Op::set : r.method == "DELETE" ? Op::del : Op::bad_request;
        if (op == Op::bad_request)
            return not_allowed("GET, HEAD, PUT, DELETE"), op;
        if (!key || key->empty())
            return error(400, "the key must be a non-empty, well-formed percent-encoded path segment"), op;
        if (key->size() > cfg.max_key)
            return error(400, fmt::format("key is larger than max-key ({} bytes)", cfg.max_key)), op;
        if (read) {
            std::string body;
            if (store.get(*key, [&](std::string_view v) { body = v; })) {
                respond(200, "application/octet-stream", body);
            } else {
                error(404, "404 page not found");
                ok = true;
            }
            return op;
        }
        if (op == Op::del) {
            if (store.del(*key)) {
                respond(204, "", "");
            } else {
                error(404, "404 page not found");
                ok = true;
            }
            return op;
        }
        SetArgs args;
        if (!r.query().empty()) {
            auto ttl = http::query_param(r.query(), "ttl_ms");
            std::int64_t ms = 0;
            if (!ttl || !parse_ttl(*ttl, ms) || ms > std::int64_t{std::numeric_limits<std::int32_t>::max()} * 1000)
                return error(400, "ttl_ms must be a positive integer"), op;
            args.expire_at = store.now() + ms;
        }
        if (r.body.size() > cfg.store.max_value)
            return error(413, fmt::format("value is larger than max-value ({} bytes)", cfg.store.max_value)), op;
        if (status_of(store.set(*key, r.body, args)))
            respond(204, "", "");
        return op;
    }
    error(404, "404 page not found");
    return Op::bad_request;
}

} // namespace syskit::cachenode

#include "http_api.hpp"

#include "cluster_view.hpp"

#include "metrics/metrics.hpp"
#include "out/json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <optional>
#include <span>

namespace syskit::cachenode {

namespace {

constexpr std::string_view text_plain = "text/plain; charset=utf-8";
constexpr std::string_view keys_prefix = "/v1/keys/";
/// HttpSession::body_ keeps its memory between requests up to this size.
constexpr std::size_t kept_body = 64 * 1024;

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

using Answer = HttpSession::Answer;

/// One request being answered: what a route's handler reads, and where it writes the reply.
struct Exchange {
    Shared& sh;
    const http::Request& r;
    std::string& out;
    /// Where a handler builds a body: the session's, which keeps its memory between requests.
    std::string& body;
    uv_loop_t* loop = nullptr;
    const std::function<void()>& resume;
    bool ok = false; ///< whether it went well, for the counters
    /// Set when the request went to another node and its answer comes later.
    std::unique_ptr<HttpSession::Pending> pending;

    void respond(int status, std::string_view type, std::string_view body, std::string_view extra = {}) {
        http::write_response(out, status, type, body, r.keep_alive, extra, r.method == "HEAD");
        ok = status < 400;
    }
    void error(int status, std::string_view message) { respond(status, text_plain, fmt::format("{}\n", message)); }
    /// A key that is not there: an answer, not a failure.
    void miss() {
        error(404, "404 page not found");
        ok = true;
    }
    /// Whether a write to the store went through; answers 507 when it did not.
    bool stored(Status st) {
        if (st == Status::ok)
            return true;
        error(507, "out of memory: the cache is full and the eviction policy is noeviction");
        return false;
    }
};

/// Writes the answer to a forwarded operation, as the route would have answered it here, with
/// the node that answered and the hops in headers; whether it went well.
bool answer(std::string& out, const Forwarded& f, Answer how, bool keep_alive, bool head) {
    std::string extra =
        f.node.empty() ? std::string() : fmt::format("Cachenode-Node: {}\r\nCachenode-Hops: {}\r\n", f.node, f.hops);
    auto respond = [&](int status, std::string_view type, std::string_view body) {
        http::write_response(out, status, type, body, keep_alive, extra, head);
        return status < 400;
    };
    switch (f.outcome) {
    case Forwarded::Outcome::missing:
        respond(404, text_plain, "404 page not found\n");
        return true;
    case Forwarded::Outcome::value:
        if (how == Answer::key_get)
            return respond(200, "application/octet-stream", f.value);
        else {
            std::string body = "{\"value\":\"";
            out::append_json_string(body, f.value);
            body += "\"}\n";
            return respond(200, "application/json", body);
        }
    case Forwarded::Outcome::done:
        return respond(how == Answer::book_set ? 200 : 204, "", "");
    case Forwarded::Outcome::failed:
    case Forwarded::Outcome::here:
        break;
    }
    respond(f.status, text_plain, f.message + "\n");
    return false;
}

/// Runs write, which changes the store and says whether it did, as one step with its place in
/// the replication stream (in cluster mode, as RESP writes are: repl.hpp); argv is the
/// command a replica applies.
template <class Write>
bool replicated(Shared& sh, std::initializer_list<std::string_view> argv, Write&& write) {
    if (!sh.cluster)
        return write();
    std::unique_lock lock(sh.cluster->repl().write_mutex());
    bool ok = write();
    sh.cluster->repl().feed(std::span<const std::string_view>(argv.begin(), argv.size()), ok);
    return ok;
}

/// Sets key to value (expiring in ttl_ms, or never when 0) and replicates it; the store's
/// status.
Status set_replicated(Shared& sh, std::string_view key, std::string_view value, std::int64_t ttl_ms) {
    SetArgs args;
    if (ttl_ms > 0)
        args.expire_at = sh.store.now() + ttl_ms;
    std::string ms = std::to_string(ttl_ms);
    Status st = Status::ok;
    auto write = [&] { return (st = sh.store.set(key, value, args)) == Status::ok; };
    if (ttl_ms > 0)
        replicated(sh, {"SET", key, value, "PX", ms}, write);
    else
        replicated(sh, {"SET", key, value}, write);
    return st;
}

/// Deletes key and replicates it; whether it was there.
bool del_replicated(Shared& sh, std::string_view key) {
    return replicated(sh, {"DEL", key}, [&] { return sh.store.del(key); });
}

/// Runs here a forwarded operation that a redirection brought back to this node.
Forwarded run_here(Shared& sh, const HttpSession::Pending& p) {
    Forwarded f;
    f.outcome = Forwarded::Outcome::done;
    f.hops = 0;
    switch (p.kind) {
    case KeyOp::Kind::get:
        if (!sh.store.get(p.key, [&](std::string_view v) { f.value = v; }))
            f.outcome = Forwarded::Outcome::missing;
        else
            f.outcome = Forwarded::Outcome::value;
        break;
    case KeyOp::Kind::del:
        if (!del_replicated(sh, p.key))
            f.outcome = Forwarded::Outcome::missing;
        break;
    case KeyOp::Kind::set: {
        if (set_replicated(sh, p.key, p.value, p.ttl_ms) != Status::ok) {
            f.outcome = Forwarded::Outcome::failed;
            f.status = 507;
            f.message = "out of memory: the cache is full and the eviction policy is noeviction";
        }
        break;
    }
    }
    return f;
}

/// In a cluster, whether op's key is another node's: then the request went there, and is
/// answered (when that was decided at once) or pending in x.
bool elsewhere(Exchange& x, const KeyOp& op, Answer how) {
    if (!x.sh.cluster)
        return false;
    auto f = forward(*x.sh.cluster, x.sh.cfg, x.loop, op, x.resume);
    if (!f)
        return false;
    bool head = x.r.method == "HEAD";
    if (f->finished()) {
        x.ok = answer(x.out, f->result(), how, x.r.keep_alive, head);
        return true;
    }
    x.pending = std::make_unique<HttpSession::Pending>(HttpSession::Pending{
        std::move(f), how, Op::other, x.r.keep_alive, head, op.kind, std::string(op.key), std::string(op.value),
        op.ttl_ms, std::chrono::steady_clock::now()});
    return true;
}

using RouteHandler = void (*)(Exchange&);

struct Route {
    std::string_view path;    ///< the path, or with a final '/' every path under it
    std::string_view methods; ///< the methods it takes, as an Allow header lists them
    bool open;                ///< answered without credentials
    Op op;                    ///< what it counts as
    RouteHandler run;

    bool matches(std::string_view p) const { return path.ends_with('/') ? p.starts_with(path) : p == path; }
    bool takes(std::string_view method) const {
        for (std::string_view list = methods; !list.empty();) {
            std::size_t comma = list.find(", ");
            if (list.substr(0, comma) == method)
                return true;
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
        }
        return false;
    }
};

void get_healthz(Exchange& x) { x.respond(200, text_plain, "ok\n"); }

void get_metrics(Exchange& x) {
    std::string page = x.sh.stats.prometheus();
    if (x.sh.cluster)
        page += cluster_metrics(*x.sh.cluster) + x.sh.cluster->metrics();
    x.respond(200, metrics::Writer::content_type, page);
}

/// GET /cluster: the nodes, their roles, slots and states, as this node sees them.
void get_cluster(Exchange& x) {
    if (!x.sh.cluster)
        return x.error(404, "cluster mode is off: this cachenode was started without --cluster");
    x.respond(200, "application/json", cluster_json(*x.sh.cluster));
}

/// The book's GET /get?key=K: the value as JSON.
void book_get(Exchange& x) {
    auto key = http::query_param(x.r.query(), "key");
    if (!key)
        return x.error(400, "missing query parameter: key");
    if (elsewhere(x, {KeyOp::Kind::get, *key, {}, 0}, Answer::book_get))
        return;
    bool found = x.sh.store.get(*key, [&](std::string_view v) {
        x.body = "{\"value\":\"";
        out::append_json_string(x.body, v);
        x.body += "\"}\n";
    });
    if (!found)
        return x.miss();
    x.respond(200, "application/json", x.body);
}

/// The book's POST /set with {"key": K, "value": V, "ttl_ms": N}.
void book_set(Exchange& x) {
    const Config& cfg = x.sh.cfg;
    auto j = nlohmann::json::parse(x.r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return x.error(400, "the body must be a JSON object {\"key\": ..., \"value\": ...}");
    auto k = j.find("key");
    auto v = j.find("value");
    if (k == j.end() || !k->is_string() || v == j.end() || !v->is_string())
        return x.error(400, "\"key\" and \"value\" must be strings");
    const auto& key = k->get_ref<const std::string&>();
    const auto& value = v->get_ref<const std::string&>();
    SetArgs args;
    if (auto t = j.find("ttl_ms"); t != j.end()) {
        if (!t->is_number_unsigned() || t->get<std::uint64_t>() == 0 ||
            t->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()) * 1000)
            return x.error(400, "\"ttl_ms\" must be a positive integer");
        args.expire_at = x.sh.store.now() + static_cast<std::int64_t>(t->get<std::uint64_t>());
    }
    if (key.size() > cfg.max_key)
        return x.error(400, fmt::format("key is larger than max-key ({} bytes)", cfg.max_key));
    if (value.size() > cfg.store.max_value)
        return x.error(413, fmt::format("value is larger than max-value ({} bytes)", cfg.store.max_value));
    std::int64_t ttl_ms = args.expire_at ? args.expire_at - x.sh.store.now() : 0;
    if (elsewhere(x, {KeyOp::Kind::set, key, value, ttl_ms}, Answer::book_set))
        return;
    if (x.stored(set_replicated(x.sh, key, value, ttl_ms)))
        x.respond(200, "", "");
}

/// The key of a /v1/keys/KEY request, decoded; nullopt, answered, when it is malformed or too
/// large.
std::optional<std::string> path_key(Exchange& x) {
    auto key = http::percent_decode(x.r.path().substr(keys_prefix.size()), false);
    if (!key || key->empty()) {
        x.error(400, "the key must be a non-empty, well-formed percent-encoded path segment");
        return std::nullopt;
    }
    if (key->size() > x.sh.cfg.max_key) {
        x.error(400, fmt::format("key is larger than max-key ({} bytes)", x.sh.cfg.max_key));
        return std::nullopt;
    }
    return key;
}

/// GET /v1/keys/KEY: the value as it is.
void key_get(Exchange& x) {
    auto key = path_key(x);
    if (!key)
        return;
    if (elsewhere(x, {KeyOp::Kind::get, *key, {}, 0}, Answer::key_get))
        return;
    if (!x.sh.store.get(*key, [&](std::string_view v) { x.body = v; }))
        return x.miss();
    x.respond(200, "application/octet-stream", x.body);
}

/// PUT /v1/keys/KEY?ttl_ms=N: the body is the value.
void key_put(Exchange& x) {
    auto key = path_key(x);
    if (!key)
        return;
    SetArgs args;
    if (!x.r.query().empty()) {
        auto ttl = http::query_param(x.r.query(), "ttl_ms");
        std::int64_t ms = 0;
        if (!ttl || !parse_ttl(*ttl, ms) || ms > std::int64_t{std::numeric_limits<std::int32_t>::max()} * 1000)
            return x.error(400, "ttl_ms must be a positive integer");
        args.expire_at = x.sh.store.now() + ms;
    }
    if (x.r.body.size() > x.sh.cfg.store.max_value)
        return x.error(413, fmt::format("value is larger than max-value ({} bytes)", x.sh.cfg.store.max_value));
    std::int64_t ttl_ms = args.expire_at ? args.expire_at - x.sh.store.now() : 0;
    if (elsewhere(x, {KeyOp::Kind::set, *key, x.r.body, ttl_ms}, Answer::key_put))
        return;
    if (x.stored(set_replicated(x.sh, *key, x.r.body, ttl_ms)))
        x.respond(204, "", "");
}

/// DELETE /v1/keys/KEY.
void key_delete(Exchange& x) {
    auto key = path_key(x);
    if (!key)
        return;
    if (elsewhere(x, {KeyOp::Kind::del, *key, {}, 0}, Answer::key_delete))
        return;
    if (!del_replicated(x.sh, *key))
        return x.miss();
    x.respond(204, "", "");
}

/// What cachenode answers over HTTP.  The routes of one path follow each other (handle() relies
/// on it); with a password set, all but /healthz need credentials.
constexpr Route routes[] = {
    {"/healthz", "GET, HEAD", true, Op::healthz, get_healthz},
    {"/metrics", "GET, HEAD", false, Op::metrics, get_metrics},
    {"/cluster", "GET, HEAD", false, Op::metrics, get_cluster},
    {"/get", "GET, HEAD", false, Op::get, book_get},
    {"/set", "POST", false, Op::set, book_set},
    {keys_prefix, "GET, HEAD", false, Op::get, key_get},
    {keys_prefix, "PUT", false, Op::set, key_put},
    {keys_prefix, "DELETE", false, Op::del, key_delete},
};

} // namespace

HttpSession::HttpSession(Shared& shared, WorkerStats& stats) : sh_(shared), ws_(stats) {
    http::Limits limits;
    limits.max_body = sh_.cfg.max_request;
    parser_.set_limits(limits);
    parser_.body_limit = [this](const http::Request& r) {
        return authorized(r) ? sh_.cfg.max_request : unauthenticated_body;
    };
}

HttpSession::~HttpSession() {
    if (pending_)
        pending_->forwarding->cancel();
}

void HttpSession::attached(uv_loop_t* loop, std::function<void()> resume) {
    loop_ = loop;
    resume_ = std::move(resume);
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
    if (pending_) {
        // Requests behind a forwarded one wait for its answer, which comes within the peers'
        // timeouts; a client that sends much more meanwhile is cut off.
        if (!pending_->forwarding->finished())
            return in.size() > 2 * sh_.cfg.max_request ? net::After::close : net::After::keep;
        Forwarded f = pending_->forwarding->result();
        if (f.outcome == Forwarded::Outcome::here)
            f = run_here(sh_, *pending_);
        bool ok = answer(out, f, pending_->answer, pending_->keep_alive, pending_->head);
        ws_.record(Proto::http, pending_->op, ok);
        ws_.answered(1, std::chrono::steady_clock::now() - pending_->start);
        bool keep_alive = pending_->keep_alive;
        pending_.reset();
        if (!keep_alive)
            return net::After::close;
    }
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
        if (pending_) {
            pending_->op = op;
            break;
        }
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

Op HttpSession::handle(const http::Request& r, std::string& out, bool& ok) {
    Exchange x{sh_, r, out, body_, loop_, resume_, false, nullptr};
    std::string_view path = r.path();
    const Route* end = std::end(routes);
    const Route* first = std::find_if(std::begin(routes), end, [&](const Route& rt) { return rt.matches(path); });
    const Route* last = std::find_if(first, end, [&](const Route& rt) { return rt.path != first->path; });
    Op op;
    if ((first == end || !first->open) && !authorized(r)) {
        x.respond(401, text_plain, "authentication required\n", "WWW-Authenticate: Bearer realm=\"cachenode\"\r\n");
        op = Op::auth;
    } else if (first == end) {
        x.error(404, "404 page not found");
        op = Op::bad_request;
    } else if (const Route* route = std::find_if(first, last, [&](const Route& rt) { return rt.takes(r.method); });
               route != last) {
        route->run(x);
        op = route->op;
    } else {
        // A method the path does not take counts as what the path is for, or as a bad request
        // when it is for several operations (the REST form).
        std::string allow;
        op = first->op;
        for (const Route* rt = first; rt != last; ++rt) {
            allow += allow.empty() ? "" : ", ";
            allow += rt->methods;
            if (rt->op != op)
                op = Op::bad_request;
        }
        x.respond(405, text_plain, "method not allowed\n", fmt::format("Allow: {}\r\n", allow));
    }
    ok = x.ok;
    pending_ = std::move(x.pending);
    if (body_.capacity() > kept_body)
        std::string().swap(body_); // an idle connection does not hold a large value's copy
    return op;
}

} // namespace syskit::cachenode

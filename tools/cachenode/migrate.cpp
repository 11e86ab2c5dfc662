#include "migrate.hpp"

#include "auth.hpp"
#include "cluster_common.hpp"
#include "dump.hpp"
#include "resp.hpp"
#include "store.hpp"

#include "fs/fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

namespace syskit::cachenode::cluster {

namespace {

bool parse_i64(std::string_view s, std::int64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

/// A blocking connection to the target with every step bounded by a timeout.
class Link {
public:
    bool open(const std::string& host, std::uint16_t port, int timeout_ms) {
        timeout_ms_ = timeout_ms;
        sockaddr_storage sa{};
        socklen_t len = 0;
        auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
        if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            v4->sin_port = htons(port);
            len = sizeof *v4;
        } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons(port);
            len = sizeof *v6;
        } else {
            return false;
        }
        fd_ = fs::UniqueFd(socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd_)
            return false;
        if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS)
            return false;
        if (!wait(POLLOUT))
            return false;
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
            return false;
        int one = 1;
        setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const net::TlsContext* ctx = peer_tls();
        return !ctx || handshake(*ctx);
    }

    /// Why open() failed in the TLS handshake; empty when it failed before, or did not.
    const std::string& tls_error() const { return tls_error_; }

    bool write_all(std::string_view data) {
        if (!tls_)
            return send_all(data);
        std::string cipher;
        if (!tls_->encrypt(data, cipher))
            return false;
        return send_all(cipher);
    }

    /// One reply line (a simple string or an error: all RESTORE-ASKING and AUTH answer),
    /// without its CR LF.
    bool read_line(std::string& line) {
        for (;;) {
            std::size_t eol = buf_.find("\r\n");
            if (eol != std::string::npos) {
                line = buf_.substr(0, eol);
                buf_.erase(0, eol + 2);
                return true;
            }
            if (buf_.size() > 64 * 1024 || !receive())
                return false;
        }
    }

    /// One bulk-string reply (at most max bytes) into body; false with line set to the reply's
    /// first line when it is something else (an error), or with line empty when reading failed.
    bool read_bulk(std::string& body, std::string& line, std::size_t max) {
        line.clear();
        if (!read_line(line) || !line.starts_with("$"))
            return false;
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(line.data() + 1, line.data() + line.size(), n);
        if (ec != std::errc() || end != line.data() + line.size() || n > max)
            return false;
        while (buf_.size() < n + 2)
            if (!receive()) {
                line.clear();
                return false;
            }
        body = buf_.substr(0, n);
        buf_.erase(0, n + 2);
        return true;
    }

private:
    /// The TLS handshake with the target, with this node's certificate, checking the target's.
    bool handshake(const net::TlsContext& ctx) {
        tls_ = std::make_unique<net::TlsSession>(ctx, net::TlsSession::Side::connect);
        bool ok = tls_->feed({}, buf_);
        while (ok) {
            std::string out;
            tls_->drain(out);
            if (!send_all(out))
                break;
            if (tls_->ready())
                return true;
            ok = receive();
        }
        tls_error_ = tls_->error().empty() ? "the target closed the connection or did not answer" : tls_->error();
        return false;
    }

    /// Receives what the socket has (waiting for it within the timeout), appending the
    /// plaintext to buf_.
    bool receive() {
        char tmp[16384];
        for (;;) {
            ssize_t n = ::recv(fd_.get(), tmp, sizeof tmp, 0);
            if (n > 0) {
                std::string_view got(tmp, static_cast<std::size_t>(n));
                if (!tls_) {
                    buf_.append(got);
                    return true;
                }
                return tls_->feed(got, buf_);
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN && wait(POLLIN))
                continue;
            return false;
        }
    }

    bool send_all(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN && wait(POLLOUT))
                continue;
            return false;
        }
        return true;
    }

    bool wait(short events) {
        pollfd p{fd_.get(), events, 0};
        int r;
        do
            r = poll(&p, 1, timeout_ms_);
        while (r < 0 && errno == EINTR);
        return r > 0;
    }

    fs::UniqueFd fd_;
    int timeout_ms_ = 1000;
    std::string buf_; ///< received plaintext not read yet
    std::unique_ptr<net::TlsSession> tls_; ///< with TLS between nodes
    std::string tls_error_;
};

} // namespace

void migrate(Store& store, std::span<const std::string_view> argv, std::string& out) {
    // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k...]
    bool copy = false, replace = false;
    std::string_view user, password;
    std::size_t first_key = 3, nkeys = 1;
    for (std::size_t i = 6; i < argv.size(); ++i) {
        std::string_view o = argv[i];
        bool more = i + 1 < argv.size();
        if (iequals(o, "COPY")) {
            copy = true;
        } else if (iequals(o, "REPLACE")) {
            replace = true;
        } else if (iequals(o, "AUTH") && more) {
            password = argv[++i];
        } else if (iequals(o, "AUTH2") && i + 2 < argv.size()) {
            user = argv[++i];
            password = argv[++i];
        } else if (iequals(o, "KEYS")) {
            if (!argv[3].empty()) {
                resp::error(out, "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
                                 "string");
                return;
            }
            first_key = i + 1;
            nkeys = argv.size() - first_key;
            break;
        } else {
            resp::error(out, "ERR syntax error");
            return;
        }
    }
    std::int64_t port = 0, db = 0, timeout = 0;
    if (!parse_i64(argv[2], port) || port <= 0 || port > 65535 || !parse_i64(argv[4], db) ||
        !parse_i64(argv[5], timeout)) {
        resp::error(out, "ERR value is not an integer or out of range");
        return;
    }
    if (db != 0) {
        resp::error(out, "ERR cachenode has a single database: MIGRATE's db must be 0");
        return;
    }
    if (timeout <= 0)
        timeout = 1000;
    // The keys that exist, with their values and TTLs read now.
    struct Item {
        std::string_view key;
        std::string payload;
        std::int64_t ttl_ms;
    };
    std::vector<Item> items;
    for (std::size_t i = first_key; i < first_key + nkeys; ++i) {
        Value v;
        std::int64_t expire_at = 0;
        if (!store.snapshot(argv[i], v, expire_at))
            continue;
        Item it{argv[i], {}, expire_at ? std::max<std::int64_t>(1, expire_at - store.now()) : 0};
        dump::encode(v, it.payload);
        items.push_back(std::move(it));
    }
    if (items.empty()) {
        resp::simple(out, "NOKEY");
        return;
    }
    // First AUTH and INFO server, whose reply tells a cachenode from another server: only a
    // cachenode takes the payload, and the keys go only once the target is known to be one.
    std::string request;
    if (!password.empty()) {
        if (user.empty())
            resp::command(request, {"AUTH", password});
        else
            resp::command(request, {"AUTH", user, password});
    }
    resp::command(request, {"INFO", "server"});
    Link link;
    if (!link.open(std::string(argv[1]), static_cast<std::uint16_t>(port), static_cast<int>(timeout))) {
        resp::error(out, link.tls_error().empty() ? "IOERR error or timeout connecting to the client"
                                                  : "IOERR TLS handshake with the target failed: " + link.tls_error());
        return;
    }
    if (!link.write_all(request)) {
        resp::error(out, "IOERR error or timeout writing to target instance");
        return;
    }
    std::string line, info;
    if (!password.empty()) {
        if (!link.read_line(line)) {
            resp::error(out, "IOERR error or timeout reading to target instance");
            return;
        }
        if (line.starts_with("-")) {
            resp::error(out, "ERR Target instance replied with error: " + line.substr(1));
            return;
        }
    }
    if (!link.read_bulk(info, line, 64 * 1024)) {
        if (line.starts_with("-"))
            resp::error(out, "ERR Target instance replied with error: " + line.substr(1));
        else if (line.empty())
            resp::error(out, "IOERR error or timeout reading to target instance");
        else
            resp::error(out, "ERR Target instance is not a cachenode: it did not answer INFO as one does");
        return;
    }
    if (info.find("\r\ncachenode_version:") == std::string::npos) {
        resp::error(out, "ERR Target instance is not a cachenode: MIGRATE carries cachenode's own DUMP payload, "
                         "which only a cachenode takes");
        return;
    }
    request.clear();
    for (const Item& it : items) {
        std::string ttl = std::to_string(it.ttl_ms);
        if (replace)
            resp::command(request, {"RESTORE-ASKING", it.key, ttl, it.payload, "REPLACE"});
        else
            resp::command(request, {"RESTORE-ASKING", it.key, ttl, it.payload});
    }
    if (!link.write_all(request)) {
        resp::error(out, "IOERR error or timeout writing to target instance");
        return;
    }
    std::string first_error;
    for (const Item& it : items) {
        if (!link.read_line(line)) {
            resp::error(out, "IOERR error or timeout reading to target instance");
            return;
        }
        if (line.starts_with("-")) {
            if (first_error.empty())
                first_error = line.substr(1);
            continue;
        }
        if (!copy)
            store.del(it.key);
    }
    if (!first_error.empty())
        resp::error(out, "ERR Target instance replied with error: " + first_error);
    else
        resp::simple(out, "OK");
}

} // namespace syskit::cachenode::cluster

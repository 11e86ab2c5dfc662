#include "http_server.hpp"

#include "serve.hpp"

#include "fs/beneath.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syskit::sockkit {

namespace {

/// How much of a file goes out per send: enough to keep the socket busy, small enough that a
/// slow client does not make the server hold much of the file.
constexpr std::size_t chunk = 256 * 1024;

void write_head(std::string& out, int status, std::string_view content_type, std::uint64_t length,
                bool keep_alive, std::string_view extra = {}) {
    fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", status, status_reason(status));
    if (!content_type.empty())
        fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\n", content_type);
    if (status != 204 && status != 304)
        fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", length);
    out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += extra;
    out += "\r\n";
}

std::string simple(int status, std::string_view text, bool keep_alive, bool head, std::string_view extra = {}) {
    std::string out;
    std::string body = std::string(text) + "\n";
    write_head(out, status, "text/plain; charset=utf-8", body.size(), keep_alive, extra);
    if (!head)
        out += body;
    return out;
}

std::string_view content_type(std::string_view path) {
    auto dot = path.rfind('.');
    auto slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    std::string_view ext = path.substr(dot + 1);
    static const std::pair<std::string_view, std::string_view> types[] = {
        {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"}, {"css", "text/css"},
        {"js", "text/javascript"},            {"json", "application/json"},
        {"svg", "image/svg+xml"},             {"png", "image/png"},
        {"jpg", "image/jpeg"},                {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},                 {"pdf", "application/pdf"},
    };
    for (auto& [e, t] : types)
        if (e == ext)
            return t;
    return "application/octet-stream";
}

} // namespace

std::string_view status_reason(int status) {
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 501:
        return "Not Implemented";
    default:
        return http::reason(status);
    }
}

void HttpService::opened(Conn& c) { c.state = std::make_unique<State>(); }

void HttpService::received(Conn& c, std::string_view data) {
    static_cast<State&>(*c.state).in.append(data);
    process(c);
}

void HttpService::process(Conn& c) {
    auto& st = static_cast<State&>(*c.state);
    while (c.open() && !st.file && !st.close_after) {
        std::size_t used = 0;
        auto r = st.parser.parse(st.in, used);
        if (r == http::RequestParser::Result::need_more) {
            st.in.clear();
            return;
        }
        if (r == http::RequestParser::Result::error) {
            logger_.warn("bad request", {{"conn", c.peer().id}, {"error", std::string_view(st.parser.error_message())}});
            c.send(simple(st.parser.error_status(), st.parser.error_message(), false, false));
            c.close_after_send();
            return;
        }
        st.in.erase(0, used);
        auto& req = st.parser.request();
        if (st.parser.take_continue())
            c.send("HTTP/1.1 100 Continue\r\n\r\n");
        std::string reply = answer(req, st.file, st.left);
        st.close_after = !req.keep_alive;
        logger_.info("request", {{"conn", c.peer().id},
                                 {"method", std::string_view(req.method)},
                                 {"target", std::string_view(req.target)},
                                 {"status", static_cast<std::int64_t>(std::atoi(reply.c_str() + 9))}});
        c.send(reply);
        if (st.file) {
            // Requests pipelined behind this one wait until its body is out.
            c.pause_reading(true);
            stream(c);
            return;
        }
    }
    if (st.close_after)
        c.close_after_send();
}

void HttpService::stream(Conn& c) {
    auto& st = static_cast<State&>(*c.state);
    std::string buf;
    while (c.open() && st.left > 0 && c.queued() < chunk) {
        buf.resize(static_cast<std::size_t>(std::min<std::uint64_t>(st.left, chunk)));
        ssize_t n = ::read(st.file.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            // The file shrank or failed under us: the length promised cannot be kept, and only
            // closing tells the client the body is short.
            c.drop(n < 0 ? std::string("read: ") + std::strerror(errno) : "the file shrank while being sent");
            return;
        }
        st.left -= static_cast<std::uint64_t>(n);
        c.send(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    if (!c.open() || st.left > 0)
        return;
    st.file.reset();
    c.pause_reading(false);
    process(c);
}

void HttpService::drained(Conn& c) {
    auto& st = static_cast<State&>(*c.state);
    if (st.file)
        stream(c);
}

std::string HttpService::answer(const http::Request& req, fs::UniqueFd& file, std::uint64_t& size) {
    size = 0;
    if (!root_)
        return echo(req);
    return serve_file(req, file, size);
}

std::string HttpService::echo(const http::Request& req) {
    const bool head = req.method == "HEAD";
    int status = 200;
    if (auto want = http::query_param(req.query(), "status")) {
        int s = 0;
        if (want->size() != 3 || want->find_first_not_of("0123456789") != std::string::npos ||
            (s = std::stoi(*want)) < 200 || s > 599)
            return simple(400, "status= takes a code from 200 to 599", req.keep_alive, head);
        status = s;
    }
    std::string body = fmt::format("{} {}\n", req.method, req.target);
    for (auto& [name, value] : req.headers)
        body += fmt::format("{}: {}\n", name, value);
    body += "\n";
    body += req.body;
    std::string out;
    write_head(out, status, "text/plain; charset=utf-8", body.size(), req.keep_alive);
    if (!head && status != 204 && status != 304)
        out += body;
    return out;
}

std::string HttpService::serve_file(const http::Request& req, fs::UniqueFd& file, std::uint64_t& size) {
    const bool head = req.method == "HEAD";
    const bool keep = req.keep_alive;
    if (req.method == "OPTIONS")
        return simple(204, "", keep, true, "Allow: GET, HEAD, OPTIONS\r\n");
    if (req.method != "GET" && !head)
        return simple(405, req.method + " is not allowed here: the files are read-only", keep, head,
                      "Allow: GET, HEAD, OPTIONS\r\n");
    auto decoded = http::percent_decode(req.path(), false);
    if (!decoded || decoded->empty() || (*decoded)[0] != '/' || decoded->find('\0') != std::string::npos)
        return simple(400, "malformed path", keep, head);
    // The path relative to the root, "." and empty components dropped; ".." is refused here,
    // and open_beneath() refuses it too, with every symbolic link.
    std::string rel;
    std::string_view p = *decoded;
    while (!p.empty()) {
        auto slash = p.find('/');
        std::string_view part = p.substr(0, slash);
        p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (part == "..")
            return simple(403, "'..' is not allowed in a path", keep, head);
        if (!rel.empty())
            rel += '/';
        rel += part;
    }
    fs::UniqueFd at = fs::open_beneath(root_.get(), rel);
    if (!at) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            return simple(404, "not found", keep, head);
        if (err == ELOOP || err == EXDEV || err == EACCES || err == EPERM)
            return simple(403, err == ELOOP || err == EXDEV ? "the path leads through a symbolic link" : "not readable",
                          keep, head);
        return simple(500, std::strerror(err), keep, head);
    }
    struct stat st {};
    if (fstat(at.get(), &st) != 0)
        return simple(500, std::strerror(errno), keep, head);
    std::string served = rel;
    if (S_ISDIR(st.st_mode)) {
        if (req.path().empty() || req.path().back() != '/')
            return simple(301, "moved", keep, head, fmt::format("Location: {}/\r\n", req.path()));
        served = rel.empty() ? "index.html" : rel + "/index.html";
        at = fs::open_beneath(root_.get(), served);
        if (!at || fstat(at.get(), &st) != 0)
            return simple(403, "a directory without index.html", keep, head);
    }
    if (S_ISLNK(st.st_mode))
        return simple(403, "the path is a symbolic link", keep, head);
    if (!S_ISREG(st.st_mode))
        return simple(403, "not a regular file", keep, head);
    // The O_PATH descriptor names the inode found beneath the root; reopening it through
    // /proc/self/fd reads that inode, whatever happened to the path since.
    fs::UniqueFd fd(::open(fmt::format("/proc/self/fd/{}", at.get()).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd)
        return simple(errno == EACCES ? 403 : 500, std::strerror(errno), keep, head);
    std::string out;
    write_head(out, 200, content_type(served), static_cast<std::uint64_t>(st.st_size), keep);
    if (!head && st.st_size > 0) {
        file = std::move(fd);
        size = static_cast<std::uint64_t>(st.st_size);
    }
    return out;
}

int http_serve(const Options& o, log::Logger& logger) {
    fs::UniqueFd root;
    if (!o.root.empty()) {
        root.reset(::open(o.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) {
            cli::error(o.root, std::string("open: ") + std::strerror(errno));
            return cli::exit_trouble;
        }
    }
    HttpService http(std::move(root), logger);
    return serve(o, {{o.address, &http, {.max_queue = o.max_queue, .overflow = Overflow::pause}}}, logger);
}

} // namespace syskit::sockkit

// http_server: HTTP/1.1 with keep-alive and pipelining over any stream socket (the book's
// HTTP over a Unix socket): the files below a root, opened beneath it so that neither ".."
// nor a symbolic link leads out, or every request described back (--echo).
#pragma once

#include "options.hpp"
#include "server.hpp"

#include "fs/fd.hpp"
#include "http/http.hpp"

namespace syskit::sockkit {

class HttpService : public Service {
public:
    /// root_fd: the directory served (--root), or empty for --echo.
    HttpService(fs::UniqueFd root_fd, log::Logger& logger) : root_(std::move(root_fd)), logger_(logger) {}
    void opened(Conn& c) override;
    void received(Conn& c, std::string_view data) override;
    void drained(Conn& c) override;

    /// The answer to req as it would be sent, for a file's body only its head (the body is
    /// streamed from *file, size bytes).  Exposed for the unit tests.
    std::string answer(const http::Request& req, fs::UniqueFd& file, std::uint64_t& size);

private:
    struct State : ConnState {
        http::RequestParser parser;
        std::string in;
        fs::UniqueFd file;       ///< a body being streamed
        std::uint64_t left = 0;  ///< its bytes still to send
        bool close_after = false;
    };
    void process(Conn& c);
    void stream(Conn& c);
    std::string echo(const http::Request& req);
    std::string serve_file(const http::Request& req, fs::UniqueFd& file, std::uint64_t& size);

    fs::UniqueFd root_;
    log::Logger& logger_;
};

/// http serve: o.root or --echo on o.address until SIGINT or SIGTERM; the exit status.
int http_serve(const Options& o, log::Logger& logger);

/// The reason phrase of status, including the redirections and 101 that lib/http leaves out.
std::string_view status_reason(int status);

} // namespace syskit::sockkit

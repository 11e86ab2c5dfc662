#include "http_client.hpp"

#include "client.hpp"

#include "http/response.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace syskit::sockkit {

std::string build_request(const Options& o) {
    // A Unix socket has no host name; "localhost" is what curl --unix-socket sends too.
    std::string host = o.address.local() ? "localhost"
                       : o.address.host.find(':') != std::string::npos
                           ? fmt::format("[{}]:{}", o.address.host, o.address.port)
                           : fmt::format("{}:{}", o.address.host, o.address.port);
    std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sockkit\r\nAccept: */*\r\n", o.method,
                                  o.url_path, host);
    if (o.data)
        req += fmt::format("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                           o.data->size());
    req += "Connection: close\r\n\r\n";
    if (o.data)
        req += *o.data;
    return req;
}

int http_get(const Options& o) {
    Stream s;
    std::string why;
    if (!s.connect(o.address, o.ca, why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    if (!s.write_all(build_request(o), why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    std::optional<http::ResponseParser> parser;
    parser.emplace(o.method == "HEAD");
    std::string buf(65536, '\0');
    auto result = http::ResponseParser::Result::need_more;
    for (;;) {
        ssize_t n = s.read(buf.data(), buf.size(), why);
        if (n < 0) {
            cli::error(o.address.str(), why);
            return cli::exit_trouble;
        }
        if (n == 0) {
            result = parser->finish();
            break;
        }
        std::string_view data(buf.data(), static_cast<std::size_t>(n));
        // Interim responses (100 Continue) come before the real one.
        while (!data.empty()) {
            std::size_t used = 0;
            result = parser->parse(data, used);
            if (result != http::ResponseParser::Result::response || parser->response().status >= 200)
                break;
            data.remove_prefix(used);
            parser.emplace(o.method == "HEAD");
            result = http::ResponseParser::Result::need_more;
        }
        if (result != http::ResponseParser::Result::need_more)
            break;
    }
    if (result == http::ResponseParser::Result::error) {
        cli::error(o.address.str(), parser->error());
        return cli::exit_trouble;
    }
    auto& r = parser->response();
    std::string out = fmt::format("HTTP/{}.{} {} {}\r\n", r.version_major, r.version_minor, r.status, r.reason);
    for (auto& [name, value] : r.headers)
        out += fmt::format("{}: {}\r\n", name, value);
    out += "\r\n";
    out += r.body;
    if (!fs::write_all(1, out.data(), out.size())) {
        cli::error("standard output", std::strerror(errno));
        return cli::exit_trouble;
    }
    return r.status >= 400 ? cli::exit_found : cli::exit_ok;
}

} // namespace syskit::sockkit

// http_client: http get: one HTTP/1.1 request written by hand over any stream socket, as the
// book's client does over a Unix socket, and the response printed as curl -i prints it.
#pragma once

#include "options.hpp"

#include <string>

namespace syskit::sockkit {

/// The request http get sends: o.method, o.url_path, Host, Content-Length and the body when
/// o.data is set, "Connection: close".
std::string build_request(const Options& o);

/// http get: sends the request and prints the status line, the headers, a blank line and the
/// body on standard output.  0 for a status below 400, 1 from 400 on, 2 when no valid
/// response came.
int http_get(const Options& o);

} // namespace syskit::sockkit

// serve: what every sockkit server shares: listen on its addresses, load TLS, serve on one
// loop until SIGINT or SIGTERM, then close every connection and remove the socket files.
#pragma once

#include "options.hpp"
#include "server.hpp"

#include <vector>

namespace syskit::sockkit {

/// One address and the service on it.
struct Endpoint {
    net::Address address;
    Service* service;
    ServerConfig config;
};

/// Serves every endpoint on one loop until SIGINT or SIGTERM, with o's --mode for socket
/// files and o's --tls on the tcp: ones.  Returns the exit status: 0 after a signal, 2 when
/// listening or loading TLS fails (reported on stderr).
int serve(const Options& o, const std::vector<Endpoint>& endpoints, log::Logger& logger);

} // namespace syskit::sockkit

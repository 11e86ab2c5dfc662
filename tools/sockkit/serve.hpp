// serve: what every sockkit server shares: listen on the address, load TLS, serve on a loop
// until SIGINT or SIGTERM, then close every connection and remove the socket file.
#pragma once

#include "options.hpp"
#include "server.hpp"

#include <functional>

namespace syskit::sockkit {

/// Serves o.address with service until SIGINT or SIGTERM.  ready runs once the socket listens,
/// with the server (a hub that needs the list of connections keeps it).  Returns the exit
/// status: 0 after a signal, 2 when listening or loading TLS fails (reported on stderr).
int serve(const Options& o, Service& service, ServerConfig config, log::Logger& logger,
          const std::function<void(Server&)>& ready = {});

} // namespace syskit::sockkit

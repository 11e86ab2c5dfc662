// node: one cachenode serving: the store and its expiry, the RESP and HTTP sessions on the
// event loops, the log lines and sd_notify messages of its life, until a stop signal.
#pragma once

#include "config.hpp"

#include "log/log.hpp"
#include "net/tls.hpp"

#include <cstdint>
#include <string>

namespace syskit::cachenode {

/// "127.0.0.1:6380" for the listener on port, "off" for 0 (no listener).
std::string address(const Config& cfg, std::uint16_t port);

/// Raises the soft limit on open files towards the hard one, to what cfg.max_clients needs,
/// and when the hard limit does not allow as much lowers cfg.max_clients to fit, with a warning
/// on logger (as Redis does).  False with error set when not even one client would fit.
bool fit_descriptors(Config& cfg, log::Logger& logger, std::string& error);

/// Serves cfg (checked by finish(), the password read) until SIGTERM or SIGINT, with TLS on
/// both listeners when tls is not null; SIGHUP reopens logger's file.  Returns the exit
/// status: exit_trouble when a listener cannot be bound (reported on standard error) or a
/// loop failed.
int serve(const Config& cfg, const net::TlsContext* tls, log::Logger& logger);

} // namespace syskit::cachenode

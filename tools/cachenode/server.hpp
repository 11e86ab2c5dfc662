// server: cachenode's event loops.  Each of --threads loops runs on its own thread with its own
// listening socket per protocol (SO_REUSEPORT: the kernel spreads connections over them); all
// share the sharded store.  The first loop runs on the caller's thread and also watches
// SIGTERM, SIGINT and SIGHUP.
#pragma once

#include "config.hpp"
#include "fs/fd.hpp"
#include "net/tcp.hpp"
#include "stats.hpp"

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace syskit::cachenode {

struct Protocol {
    Proto proto;
    std::uint16_t port;
    std::function<std::unique_ptr<net::Session>(WorkerStats&)> make_session;
    std::string reject_message; ///< sent to a client over --max-clients
    const net::OutputLimits* output_limits = nullptr;
    /// Called on each loop's thread as the loop stops, to close what the protocol's sessions
    /// opened on it beside their connections (the HTTP API's forwarding links).
    std::function<void(uv_loop_t*)> on_loop_stop;
};

struct ServerHooks {
    std::function<void()> on_stop_signal; ///< SIGTERM or SIGINT arrived (before stopping)
    std::function<void()> on_hangup;      ///< SIGHUP arrived
};

class Server {
public:
    Server(const Config& cfg, Stats& stats, const net::TlsContext* tls, std::vector<Protocol> protocols);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Creates the listening sockets, --threads per protocol.  False with error ("ADDR: why")
    /// when one cannot be bound.
    bool listen(std::string& error);
    /// Serves until a stop signal or stop(), then lets connections finish and returns.
    void run(ServerHooks hooks);
    /// Stops every loop; callable from any thread.
    void stop();
    /// Whether a loop could not serve its sockets (reported on standard error).
    bool failed() const { return failed_; }

private:
    struct Worker;

    const Config& cfg_;
    Stats& stats_;
    const net::TlsContext* tls_;
    std::vector<Protocol> protocols_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> failed_{false};
};

} // namespace syskit::cachenode

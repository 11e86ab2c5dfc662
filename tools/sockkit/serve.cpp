#include "serve.hpp"

#include <netinet/in.h>
#include <signal.h>

#include <list>

namespace syskit::sockkit {

int serve(const Options& o, const std::vector<Endpoint>& endpoints, log::Logger& logger) {
    std::string why;
    std::unique_ptr<net::TlsContext> tls;
    if (!o.cert.empty() && !(tls = net::TlsContext::load(o.cert, o.key, why))) {
        cli::error("--tls", why);
        return cli::exit_trouble;
    }
    loop::Loop loop;
    // Listeners outlive the servers (which close their handles first), and remove the socket
    // files last.
    std::list<net::Listener> listeners;
    std::list<Server> servers;
    loop::Timer ticker(loop, [&] {
        for (auto& e : endpoints)
            e.service->tick(uv_now(loop.get()));
    });
    // Taken before the first socket exists: a SIGINT or SIGTERM that comes as soon as a socket
    // can be seen (or "listening" read) stops the server cleanly, its socket files removed,
    // rather than by the signal's default action.
    auto stop = [&](int signum) {
        logger.info("stopping", {{"signal", std::string_view(signum == SIGINT ? "INT" : "TERM")}});
        for (auto& s : servers)
            s.stop();
        ticker.stop();
        loop.stop();
    };
    loop::Signal on_int(loop, SIGINT, stop), on_term(loop, SIGTERM, stop);
    for (auto& e : endpoints) {
        auto& listener = listeners.emplace_back();
        if (!listener.open(e.address, o.mode, 511, why)) {
            cli::error(e.address.str(), why);
            return cli::exit_trouble;
        }
        ServerConfig config = e.config;
        if (e.address.family == net::Family::tcp)
            config.tls = tls.get();
        auto& server = servers.emplace_back(loop, listener, e.address.local(), *e.service, config, logger);
        if (!server.start(why)) {
            cli::error(e.address.str(), why);
            return cli::exit_trouble;
        }
        // With port 0 the kernel chose one: say which.
        net::Address bound = e.address;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (e.address.family == net::Family::tcp &&
            getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
            bound.port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                        : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        logger.info("listening", {{"address", std::string_view(bound.str())}, {"tls", config.tls != nullptr}});
    }
    std::uint64_t tick_ms = 0;
    for (auto& e : endpoints)
        if (e.config.tick_ms > 0 && (tick_ms == 0 || e.config.tick_ms < tick_ms))
            tick_ms = e.config.tick_ms;
    if (tick_ms > 0)
        ticker.start(static_cast<double>(tick_ms) / 1000, static_cast<double>(tick_ms) / 1000);
    loop.run();
    return cli::exit_ok;
}

} // namespace syskit::sockkit

#include "serve.hpp"

#include <netinet/in.h>
#include <signal.h>

namespace syskit::sockkit {

int serve(const Options& o, Service& service, ServerConfig config, log::Logger& logger,
          const std::function<void(Server&)>& ready) {
    std::string why;
    std::unique_ptr<net::TlsContext> tls;
    if (!o.cert.empty() && !(tls = net::TlsContext::load(o.cert, o.key, why))) {
        cli::error("--tls", why);
        return cli::exit_trouble;
    }
    config.tls = tls.get();
    loop::Loop loop;
    net::Listener listener;
    if (!listener.open(o.address, o.mode, 511, why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    Server server(loop, listener, o.address.local(), service, config, logger);
    if (!server.start(why)) {
        cli::error(o.address.str(), why);
        return cli::exit_trouble;
    }
    loop::Timer ticker(loop, [&] { service.tick(uv_now(loop.get())); });
    if (config.tick_ms > 0)
        ticker.start(static_cast<double>(config.tick_ms) / 1000, static_cast<double>(config.tick_ms) / 1000);
    auto stop = [&](int signum) {
        logger.info("stopping", {{"signal", std::string_view(signum == SIGINT ? "INT" : "TERM")}});
        server.stop();
        ticker.stop();
        loop.stop();
    };
    loop::Signal on_int(loop, SIGINT, stop), on_term(loop, SIGTERM, stop);

    if (ready)
        ready(server);
    // With port 0 the kernel chose one: say which.
    net::Address bound = o.address;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (o.address.family == net::Family::tcp && getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
        bound.port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    logger.info("listening", {{"address", std::string_view(bound.str())}, {"tls", tls != nullptr}});
    loop.run();
    return cli::exit_ok;
}

} // namespace syskit::sockkit

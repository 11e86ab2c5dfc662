// cachenode: an in-memory cache server speaking RESP2 (Redis's protocol) and HTTP (book
// chapters 10, 11, 13 and 14).
#include "auth.hpp"
#include "cli/cli.hpp"
#include "cli/jobs.hpp"
#include "cli/size.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "expire.hpp"
#include "fs/fd.hpp"
#include "http_api.hpp"
#include "log/log.hpp"
#include "net/tls.hpp"
#include "server.hpp"
#include "stats.hpp"
#include "store.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

using namespace syskit;
using namespace syskit::cachenode;

namespace {

/// A size option's value, or an error naming the option.
bool size_option(const std::string& name, const std::string& text, std::size_t min, std::size_t max,
                 std::size_t& out) {
    auto v = cli::parse_size(text);
    if (!v) {
        cli::error(name, fmt::format("'{}' is not a size (such as 512, 64K, 256M, 1G)", text));
        return false;
    }
    if (*v < min || *v > max) {
        cli::error(name, fmt::format("'{}' is out of range ({} to {} bytes)", text, min, max));
        return false;
    }
    out = static_cast<std::size_t>(*v);
    return true;
}

/// The secret in a token file: its content without the final newline.
bool read_token(const std::string& path, std::string& token) {
    fs::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        cli::error_errno(path, errno);
        return false;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cli::error_errno(path, errno);
            return false;
        }
        if (n == 0)
            break;
        token.append(buf, static_cast<std::size_t>(n));
        if (token.size() > 4096) {
            cli::error(path, "the token file is larger than 4096 bytes");
            return false;
        }
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
        token.pop_back();
    if (token.empty()) {
        cli::error(path, "the token file is empty");
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("cachenode", "cachenode - in-memory cache server speaking RESP2 (Redis) and HTTP");
    auto& app = tool.app();
    Config cfg;
    cfg.threads = cli::cpu_count();
    std::string max_memory = "256M", max_key = "64K", max_value = "1M", max_request = "16M";
    std::string eviction = "sieve", token_file, log_format = "logfmt";
    bool check_config = false;

    app.add_option("--bind", cfg.bind, "Address both listeners bind (default: 127.0.0.1)")->type_name("ADDR");
    app.add_option("-p,--port", cfg.port, "RESP port, 0 for none (default: 6380)")->type_name("PORT");
    app.add_option("--http-port", cfg.http_port, "HTTP port, 0 for none (default: 8080)")->type_name("PORT");
    app.add_option("-t,--threads", cfg.threads, "Event loops, one thread each (default: online CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1u, 256u).description(""));
    app.add_option("--max-memory", max_memory, "Memory for keys and values (default: 256M)")->type_name("SIZE");
    app.add_option("--eviction", eviction, "Eviction policy: sieve, s3fifo, lru, noeviction (default: sieve)")
        ->type_name("POLICY");
    app.add_option("--max-key", max_key, "Largest key (default: 64K)")->type_name("SIZE");
    app.add_option("--max-value", max_value, "Largest value (default: 1M)")->type_name("SIZE");
    app.add_option("--max-request", max_request, "Largest request (default: 16M)")->type_name("SIZE");
    app.add_option("--max-clients", cfg.max_clients, "Open connections allowed (default: 10000)")
        ->type_name("N")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000}).description(""));
    app.add_option("--idle-timeout", cfg.idle_timeout_s, "Close connections idle this long, 0 never (default: 300)")
        ->type_name("SECONDS")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{31536000}).description(""));
    app.add_option("--busy-poll", cfg.busy_poll_us,
                   "Keep polling this long after a request before sleeping, 0 never (default: 50)")
        ->type_name("MICROSECONDS")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1000000}).description(""));
    auto* pass_opt = app.add_option("--requirepass", cfg.password, "Password for AUTH and HTTP Bearer tokens")
                         ->type_name("PASSWORD");
    app.add_option("--token-file", token_file, "Read the password from FILE (not visible in ps)")
        ->type_name("FILE")
        ->excludes(pass_opt);
    auto* cert_opt = app.add_option("--tls-cert", cfg.tls_cert, "TLS certificate chain (PEM) for both listeners")
                         ->type_name("FILE");
    auto* key_opt = app.add_option("--tls-key", cfg.tls_key, "TLS private key (PEM)")->type_name("FILE");
    cert_opt->needs(key_opt);
    key_opt->needs(cert_opt);
    app.add_option("--log-format", log_format, "Log lines as logfmt or json (default: logfmt)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"logfmt", "json"}));
    app.add_option("--log-file", cfg.log_file, "Log to FILE instead of standard error; SIGHUP reopens it")
        ->type_name("FILE");
    app.add_flag("--check-config", check_config, "Check the options, certificate and token file, then exit");
    app.footer("See cachenode(1).");

    if (auto rc = tool.parse(argc, argv))
        return *rc;

    constexpr std::size_t max_value_limit = std::size_t{512} << 20;
    if (!size_option("--max-memory", max_memory, std::size_t{1} << 20, std::size_t{1} << 50, cfg.max_memory) ||
        !size_option("--max-key", max_key, 1, Entry::max_key, cfg.max_key) ||
        !size_option("--max-value", max_value, 1, max_value_limit, cfg.max_value) ||
        !size_option("--max-request", max_request, 1024, std::size_t{1} << 31, cfg.max_request))
        return cli::exit_trouble;
    if (cfg.max_request < cfg.max_value + cfg.max_key) {
        cli::error("--max-request", "must be at least --max-value plus --max-key, or the largest SET cannot arrive");
        return cli::exit_trouble;
    }
    auto policy = parse_policy(eviction);
    if (!policy) {
        cli::error("--eviction", fmt::format("unknown policy '{}' (sieve, s3fifo, lru, noeviction)", eviction));
        return cli::exit_trouble;
    }
    cfg.policy = *policy;
    cfg.log_format = log_format == "json" ? LogFormat::json : LogFormat::logfmt;
    in6_addr addr{};
    if (inet_pton(AF_INET, cfg.bind.c_str(), &addr) != 1 && inet_pton(AF_INET6, cfg.bind.c_str(), &addr) != 1) {
        cli::error("--bind", fmt::format("'{}' is not an IPv4 or IPv6 address", cfg.bind));
        return cli::exit_trouble;
    }
    if (cfg.port == 0 && cfg.http_port == 0) {
        cli::error("--port", "both listeners are off (--port 0 --http-port 0)");
        return cli::exit_trouble;
    }
    if (cfg.port != 0 && cfg.port == cfg.http_port) {
        cli::error("--http-port", fmt::format("the RESP listener has port {} already", cfg.port));
        return cli::exit_trouble;
    }
    if (!token_file.empty() && !read_token(token_file, cfg.password))
        return cli::exit_trouble;
    std::unique_ptr<net::TlsContext> tls;
    if (!cfg.tls_cert.empty()) {
        std::string why;
        tls = net::TlsContext::load(cfg.tls_cert, cfg.tls_key, why);
        if (!tls) {
            cli::error("--tls-cert", why);
            return cli::exit_trouble;
        }
    }
    log::Logger logger(cfg.log_format == LogFormat::json ? log::Format::json : log::Format::logfmt);
    if (!cfg.log_file.empty()) {
        std::string why;
        if (!logger.open(cfg.log_file, why)) {
            cli::error(cfg.log_file, why);
            return cli::exit_trouble;
        }
    }
    if (check_config) {
        std::printf("configuration ok: resp=%s http=%s threads=%u max-memory=%zu eviction=%s tls=%s auth=%s\n",
                    cfg.port ? net::Endpoint{cfg.bind, cfg.port}.str().c_str() : "off",
                    cfg.http_port ? net::Endpoint{cfg.bind, cfg.http_port}.str().c_str() : "off", cfg.threads,
                    cfg.max_memory, policy_name(cfg.policy), tls ? "on" : "off", cfg.password.empty() ? "off" : "on");
        return cli::exit_ok;
    }

    // A client that disconnects must cost an EPIPE on write, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Held until the first event loop watches them (server.cpp), so that a stop signal sent as
    // soon as the port answers is handled, not fatal; threads started from here on keep them
    // blocked, leaving them to that loop's thread.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&stop_signals, sig);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    StoreConfig scfg;
    scfg.max_memory = cfg.max_memory;
    scfg.policy = cfg.policy;
    scfg.max_value = cfg.max_value;
    Store store(scfg);
    ExpiryThread expiry(store);
    Stats stats(cfg, store);
    Auth auth(cfg.password);
    Shared shared{store, cfg, stats, auth};

    std::vector<Protocol> protocols;
    if (cfg.port)
        protocols.push_back({Proto::resp, cfg.port,
                             [&shared](WorkerStats& ws) { return std::make_unique<RespSession>(shared, ws); },
                             "-ERR max number of clients reached\r\n"});
    if (cfg.http_port)
        protocols.push_back({Proto::http, cfg.http_port,
                             [&shared](WorkerStats& ws) { return std::make_unique<HttpSession>(shared, ws); },
                             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
                             "28\r\nConnection: close\r\n\r\nmax number of clients reached\n"});
    Server server(cfg, stats, tls.get(), std::move(protocols));
    std::string why;
    if (!server.listen(why)) {
        cli::error(why.substr(0, why.find(": ")), why.substr(why.find(": ") + 2));
        return cli::exit_trouble;
    }
    std::string resp_addr = cfg.port ? net::Endpoint{cfg.bind, cfg.port}.str() : "off";
    std::string http_addr = cfg.http_port ? net::Endpoint{cfg.bind, cfg.http_port}.str() : "off";
    logger.info("listening", {{"resp", resp_addr},
                              {"http", http_addr},
                              {"tls", !cfg.tls_cert.empty()},
                              {"threads", std::uint64_t{cfg.threads}},
                              {"max_memory", std::uint64_t{cfg.max_memory}},
                              {"eviction", policy_name(cfg.policy)},
                              {"shards", std::uint64_t{store.shard_count()}}});
    sd_notifyf(0, "READY=1\nSTATUS=serving RESP on %s, HTTP on %s\nMAINPID=%d", resp_addr.c_str(),
               http_addr.c_str(), static_cast<int>(getpid()));

    ServerHooks hooks;
    hooks.on_stop_signal = [&] {
        sd_notify(0, "STOPPING=1");
        logger.info("stopping", {{"clients", stats.clients.load()}});
    };
    hooks.on_hangup = [&] {
        std::string err;
        if (logger.reopen(err))
            logger.info("log reopened");
        else
            cli::error(cfg.log_file, "cannot reopen the log: " + err);
    };
    server.run(std::move(hooks));
    logger.info("stopped", {{"keys", store.size()}, {"commands", stats.commands_processed()}});
    return server.failed() ? cli::exit_trouble : cli::exit_ok;
}

// cachenode: an in-memory cache server speaking RESP2 (Redis's protocol) and HTTP (book
// chapters 10, 11, 13 and 14).
#include "auth.hpp"
#include "node.hpp"
#include "options.hpp"

#include "cli/cli.hpp"
#include "log/log.hpp"
#include "net/tls.hpp"
#include "out/text.hpp"

#include <fmt/format.h>

#ifdef CACHENODE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

using namespace syskit;
using namespace syskit::cachenode;

#ifdef CACHENODE_JEMALLOC
// jemalloc's options, read when it starts (MALLOC_CONF in the environment overrides them).
// Pages the loops free are handed back to the kernel over a second, by a thread of jemalloc's
// own, as Redis does (jemalloc-bg-thread): without it only an allocating thread does that, and a
// node that has gone quiet keeps what it freed, up to 10 s of it even when busy.  Handing them
// back at once (dirty_decay_ms 0) cut SETs of 200 KB values from 17,000 a second to 3,100.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000";
#endif

int main(int argc, char** argv) {
    cli::Tool tool("cachenode", "cachenode - in-memory cache server speaking RESP2 (Redis) and HTTP");
    Options o;
    add_options(tool.app(), o);
    tool.add_quiet("Log only warnings and errors; --check-config: say nothing when it is ok").add_color();
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    Config& cfg = o.cfg;
    std::string why;
    if (!o.token_file.empty() && !read_token(o.token_file, cfg.password, why)) {
        cli::error(o.token_file, why);
        return cli::exit_trouble;
    }
    if (!cfg.cluster.secret_file.empty() && !read_token(cfg.cluster.secret_file, cfg.cluster.secret, why)) {
        cli::error(cfg.cluster.secret_file, why);
        return cli::exit_trouble;
    }
    std::unique_ptr<net::TlsContext> tls;
    if (!cfg.tls_cert.empty() && !(tls = net::TlsContext::load(cfg.tls_cert, cfg.tls_key, why))) {
        cli::error("--tls-cert", why);
        return cli::exit_trouble;
    }
    // A cluster node with TLS speaks it to its peers too, checking their certificates.
    if (tls && cfg.cluster.enabled) {
        auto peers = net::TlsContext::load_mutual(cfg.tls_cert, cfg.tls_key, cfg.tls_ca_cert, why);
        if (!peers) {
            cli::error("--tls-ca-cert", why);
            return cli::exit_trouble;
        }
        cluster::set_peer_tls(std::move(peers));
    }
    log::Logger logger(cfg.log_format);
    if (!cfg.log_file.empty() && !logger.open(cfg.log_file, why)) {
        cli::error(cfg.log_file, why);
        return cli::exit_trouble;
    }
    logger.set_color(cfg.log_file.empty() && tool.color_stderr());
    if (tool.quiet())
        logger.set_min_level(log::Level::warn);
    if (!o.check_config) {
        if (!fit_descriptors(cfg, logger, why)) {
            cli::error("--max-clients", why);
            return cli::exit_trouble;
        }
        return serve(cfg, tls.get(), logger);
    }

    // As nginx -t -q: the exit status says it.
    if (tool.quiet())
        return cli::exit_ok;
    out::Sink sink;
    sink.line(fmt::format("configuration ok: resp={} http={} threads={} max-memory={} eviction={} tls={} auth={}",
                          address(cfg, cfg.port), address(cfg, cfg.http_port), cfg.threads, cfg.store.max_memory,
                          policy_name(cfg.store.policy), tls ? "on" : "off", cfg.password.empty() ? "off" : "on"));
    return out::finish(sink, cli::exit_ok);
}

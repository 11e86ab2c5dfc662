#include "server.hpp"

#include "cli/diag.hpp"

#include <pthread.h>

#include <csignal>

namespace syskit::cachenode {

struct Server::Worker {
    Worker(Server& o, bool signals)
        : owner(o), watches_signals(signals),
          poller(&loop, o.cfg_.busy_poll_us) {
        // Initialised here, on the constructing thread and before the loop runs, so that
        // stop() may uv_async_send from any thread at any time.
        uv_loop_init(&loop);
        loop.data = this;
        uv_async_init(&loop, &stop_async, on_stop);
        stop_async.data = this;
    }
    ~Worker() {
        if (ran)
            return;
        // listen() failed before this loop ran: close the handle it has, then the loop.
        uv_close(reinterpret_cast<uv_handle_t*>(&stop_async), nullptr);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void run(ServerHooks hooks);
    void shutdown();
    static void on_stop(uv_async_t* a) { static_cast<Worker*>(a->data)->shutdown(); }
    static void on_signal(uv_signal_t* s, int signum);
    static void on_tick(uv_timer_t* t);
    static void on_grace_over(uv_timer_t* t);

    Server& owner;
    bool watches_signals;
    WorkerStats* stats = nullptr;
    uv_loop_t loop{};
    uv_async_t stop_async{};
    uv_timer_t tick_timer{};
    uv_timer_t grace_timer{}; ///< after a stop: closes the connections that have not finished
    uv_signal_t signals[3]{};
    net::Poller poller;
    std::vector<fs::UniqueFd> fds;
    std::vector<std::unique_ptr<net::Server>> servers;
    ServerHooks hooks;
    bool stopping = false;
    bool ran = false;
    std::thread thread;
};

Server::Server(const Config& cfg, Stats& stats, const net::TlsContext* tls, std::vector<Protocol> protocols)
    : cfg_(cfg), stats_(stats), tls_(tls), protocols_(std::move(protocols)) {}

Server::~Server() {
    for (auto& w : workers_)
        if (w->thread.joinable())
            w->thread.join();
}

bool Server::listen(std::string& error) {
    unsigned threads = std::max(1u, cfg_.threads);
    if (threads > 1) {
        // SO_REUSEPORT would let these sockets join another process's on the same port (same
        // user) instead of failing; a socket without it cannot bind a port in use, so one is
        // bound first, as a check, and closed.
        for (const Protocol& p : protocols_) {
            net::Endpoint ep{cfg_.bind, p.port};
            std::string why;
            if (!net::listen_tcp(ep, false, 1, why)) {
                error = ep.str() + ": " + why;
                return false;
            }
        }
    }
    for (unsigned i = 0; i < threads; ++i) {
        auto w = std::make_unique<Worker>(*this, i == 0);
        w->stats = &stats_.add_worker();
        for (const Protocol& p : protocols_) {
            net::Endpoint ep{cfg_.bind, p.port};
            std::string why;
            fs::UniqueFd fd = net::listen_tcp(ep, threads > 1, 511, why);
            if (!fd) {
                error = ep.str() + ": " + why;
                return false;
            }
            w->fds.push_back(std::move(fd));
        }
        workers_.push_back(std::move(w));
    }
    return true;
}

void Server::run(ServerHooks hooks) {
    for (std::size_t i = 1; i < workers_.size(); ++i)
        workers_[i]->thread = std::thread([w = workers_[i].get()] {
            // Signals are for the first loop only (see ExpiryThread::run on the mask).
            sigset_t all;
            sigfillset(&all);
            pthread_sigmask(SIG_BLOCK, &all, nullptr);
            w->run({});
        });
    workers_[0]->run(std::move(hooks));
    for (std::size_t i = 1; i < workers_.size(); ++i)
        workers_[i]->thread.join();
}

void Server::stop() {
    for (auto& w : workers_)
        uv_async_send(&w->stop_async);
}

void Server::Worker::run(ServerHooks h) {
    hooks = std::move(h);
    ran = true;
    const Config& cfg = owner.cfg_;
    poller.start();
    for (std::size_t i = 0; i < owner.protocols_.size(); ++i) {
        const Protocol& p = owner.protocols_[i];
        net::ServerOptions opt;
        WorkerStats* ws = stats;
        auto make = p.make_session;
        opt.make_session = [make, ws] { return make(*ws); };
        opt.reject_message = p.reject_message;
        opt.output_limits = p.output_limits;
        opt.clients = &owner.stats_.clients;
        opt.max_clients = cfg.max_clients;
        opt.idle_timeout_ms = cfg.idle_timeout_s * 1000;
        opt.live = &owner.stats_.limits;
        opt.poller = &poller;
        opt.batch_writes = true;
        opt.tls = owner.tls_;
        Proto proto = p.proto;
        opt.on_accept = [ws, proto](bool accepted) { ws->connection(proto, accepted); };
        auto srv = std::make_unique<net::Server>(&loop, std::move(fds[i]), std::move(opt));
        std::string error;
        if (!srv->start(error)) {
            cli::error(net::Endpoint{cfg.bind, p.port}.str(), error);
            owner.failed_ = true;
            owner.stop();
        }
        servers.push_back(std::move(srv));
    }
    fds.clear();
    uv_timer_init(&loop, &tick_timer);
    tick_timer.data = this;
    uv_timer_start(&tick_timer, on_tick, 1000, 1000);
    if (watches_signals) {
        const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
        sigset_t set;
        sigemptyset(&set);
        for (int i = 0; i < 3; ++i) {
            uv_signal_init(&loop, &signals[i]);
            signals[i].data = this;
            uv_signal_start(&signals[i], on_signal, signums[i]);
            sigaddset(&set, signums[i]);
        }
        // main() blocked them until now; one that came meanwhile is delivered here.
        pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (stopping && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&grace_timer))) {
        // Every connection finished in time: the grace timer, which does not keep the loop
        // running, is still there to close.
        uv_close(reinterpret_cast<uv_handle_t*>(&grace_timer), nullptr);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    servers.clear();
    uv_loop_close(&loop);
}

void Server::Worker::on_signal(uv_signal_t* s, int signum) {
    auto* w = static_cast<Worker*>(s->data);
    if (signum == SIGHUP) {
        if (w->hooks.on_hangup)
            w->hooks.on_hangup();
        return;
    }
    if (w->stopping)
        return;
    if (w->hooks.on_stop_signal)
        w->hooks.on_stop_signal();
    w->owner.stop();
}

void Server::Worker::on_tick(uv_timer_t* t) {
    auto* w = static_cast<Worker*>(t->data);
    for (auto& s : w->servers)
        s->tick(uv_now(&w->loop));
}

void Server::Worker::on_grace_over(uv_timer_t* t) {
    auto* w = static_cast<Worker*>(t->data);
    for (auto& s : w->servers)
        s->close_all();
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
}

void Server::Worker::shutdown() {
    if (stopping)
        return;
    stopping = true;
    for (auto& s : servers)
        s->stop();
    poller.close();
    for (const Protocol& p : owner.protocols_)
        if (p.on_loop_stop)
            p.on_loop_stop(&loop);
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_async), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer), nullptr);
    // A client that never reads its replies would hold the loop open for ever.
    uv_timer_init(&loop, &grace_timer);
    grace_timer.data = this;
    uv_timer_start(&grace_timer, on_grace_over, owner.cfg_.shutdown_timeout_s * 1000, 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&grace_timer));
    if (watches_signals)
        for (auto& s : signals)
            uv_close(reinterpret_cast<uv_handle_t*>(&s), nullptr);
}

} // namespace syskit::cachenode

#include "net/tcp.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace syskit;

namespace {

struct Echo : net::Session {
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override {
        out.append(in);
        consumed = in.size();
        return net::After::keep;
    }
};

/// An echo that answers each read 10 ms after it came, from a timer: a reply made outside the
/// callbacks of the loop's poll (as a proxy's is).
struct EchoLater : net::Session {
    EchoLater() : timer_(new uv_timer_t) {}
    ~EchoLater() override {
        uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    }
    EchoLater(const EchoLater&) = delete;
    EchoLater& operator=(const EchoLater&) = delete;
    void attached(uv_loop_t* loop, std::function<void()> resume) override {
        resume_ = std::move(resume);
        uv_timer_init(loop, timer_);
        timer_->data = this;
    }
    net::After on_data(std::string_view in, std::size_t& consumed, std::string& out) override {
        consumed = 0;
        if (!due_) {
            uv_timer_start(timer_, [](uv_timer_t* t) {
                auto* self = static_cast<EchoLater*>(t->data);
                self->due_ = true;
                self->resume_();
            }, 10, 0);
            return net::After::keep;
        }
        due_ = false;
        out.append(in);
        consumed = in.size();
        return net::After::keep;
    }

    uv_timer_t* timer_; ///< freed by its close callback, which may come after the session
    std::function<void()> resume_;
    bool due_ = false;
};

/// A loop, and a server with opt on it listening on a free loopback port (addr), which stop,
/// sent from another thread, stops; the loop's Poller has poll_window_us.
struct Served {
    explicit Served(net::ServerOptions opt, std::uint64_t poll_window_us = 0) : poller(&loop, poll_window_us) {
        uv_loop_init(&loop);
        poller.start();
        opt.poller = &poller;
        std::string error;
        fs::UniqueFd fd = net::listen_tcp({"127.0.0.1", 0}, false, 64, error);
        REQUIRE_MESSAGE(fd, error);
        socklen_t len = sizeof addr;
        REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        server = std::make_unique<net::Server>(&loop, std::move(fd), std::move(opt));
        REQUIRE_MESSAGE(server->start(error), error);
        stop.data = this;
        uv_async_init(&loop, &stop, [](uv_async_t* a) {
            auto* self = static_cast<Served*>(a->data);
            self->server->stop();
            self->poller.close();
            uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
        });
    }

    uv_loop_t loop{};
    net::Poller poller;
    sockaddr_in addr{};
    std::unique_ptr<net::Server> server;
    uv_async_t stop{};
};

/// How often a loop came round while one echo server, its Poller's window poll_window_us, served
/// one client that sent its request pause_ms after connecting: during the 20 ms after the
/// reply, and during 100 ms starting long after the polling window.
struct Iterations {
    std::uint64_t just_after = 0;
    std::uint64_t long_after = 0;
    std::string reply;
};

Iterations serve_one_request(std::uint64_t poll_window_us, bool batch_writes = false, bool later = false,
                             std::chrono::milliseconds pause = {}) {
    net::ServerOptions opt;
    opt.make_session = [later]() -> std::unique_ptr<net::Session> {
        if (later)
            return std::make_unique<EchoLater>();
        return std::make_unique<Echo>();
    };
    opt.batch_writes = batch_writes;
    Served served(std::move(opt), poll_window_us);
    uv_loop_t& loop = served.loop;
    const sockaddr_in& addr = served.addr;

    // A prepare handle runs once per iteration, just before the loop polls (and maybe sleeps).
    static std::atomic<std::uint64_t> iterations;
    iterations = 0;
    uv_prepare_t counter;
    uv_prepare_init(&loop, &counter);
    uv_prepare_start(&counter, [](uv_prepare_t*) { iterations.fetch_add(1, std::memory_order_relaxed); });
    uv_unref(reinterpret_cast<uv_handle_t*>(&counter));

    Iterations result;
    std::thread client([&] {
        using namespace std::chrono_literals;
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval patience{2, 0}; // a reply that never comes fails the test instead of hanging it
        if (s >= 0 && setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience) == 0 &&
            connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
            (std::this_thread::sleep_for(pause), write(s, "ping", 4) == 4)) {
            char buf[4];
            ssize_t got = 0;
            for (ssize_t n = 1; got < 4 && n > 0; got += n)
                n = read(s, buf + got, sizeof buf - static_cast<std::size_t>(got));
            result.reply.assign(buf, got > 0 ? static_cast<std::size_t>(got) : 0);
            std::uint64_t a = iterations.load();
            std::this_thread::sleep_for(20ms);
            result.just_after = iterations.load() - a;
            std::this_thread::sleep_for(300ms);
            std::uint64_t b = iterations.load();
            std::this_thread::sleep_for(100ms);
            result.long_after = iterations.load() - b;
        }
        if (s >= 0)
            close(s);
        uv_async_send(&served.stop);
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    client.join();
    uv_close(reinterpret_cast<uv_handle_t*>(&counter), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    return result;
}

} // namespace

TEST_CASE("tcp: a request that came soon after the loop slept makes it poll without sleeping, then sleep") {
    Iterations it = serve_one_request(100000);
    CHECK(it.reply == "ping");
    // Each spin is a zero-timeout epoll_wait of about a microsecond: thousands in 20 ms even on
    // a loaded machine, where a sleeping loop comes round not at all.
    CHECK(it.just_after > 20);
    CHECK(it.long_after <= 2);
}

TEST_CASE("tcp: a request that came long after the loop slept leaves it sleeping") {
    // The loop last slept when it accepted the connection, 100 ms before the request: more than
    // the 20 ms window.
    Iterations it = serve_one_request(20000, false, false, std::chrono::milliseconds(100));
    CHECK(it.reply == "ping");
    CHECK(it.just_after <= 2);
    CHECK(it.long_after <= 2);
}

TEST_CASE("tcp: without a polling window the loop sleeps as soon as it has answered") {
    Iterations it = serve_one_request(0);
    CHECK(it.reply == "ping");
    CHECK(it.just_after <= 2);
    CHECK(it.long_after <= 2);
}

TEST_CASE("tcp: batched writes answer, a reply made outside the poll too, and the loop then sleeps") {
    for (bool later : {false, true}) {
        CAPTURE(later);
        Iterations it = serve_one_request(0, true, later);
        CHECK(it.reply == "ping");
        CHECK(it.just_after <= 2);
        CHECK(it.long_after <= 2);
    }
}

TEST_CASE("tcp: batched writes: each of many clients gets its own replies, in order") {
    net::ServerOptions opt;
    opt.make_session = [] { return std::make_unique<Echo>(); };
    opt.batch_writes = true;
    Served served(std::move(opt));
    const sockaddr_in& addr = served.addr;

    constexpr int clients = 20, rounds = 50;
    std::atomic<int> right{0};
    std::thread driver([&] {
        int s[clients];
        std::fill(std::begin(s), std::end(s), -1);
        auto talk = [&] {
            for (int& c : s) {
                c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                timeval patience{2, 0};
                if (c < 0 || setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience) != 0 ||
                    connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
                    return;
            }
            // Every client writes before any reads, so that a turn of the loop has many to answer.
            for (int r = 0; r < rounds; ++r) {
                for (int i = 0; i < clients; ++i) {
                    std::string m = std::to_string(i) + ":" + std::to_string(r) + ";";
                    if (write(s[i], m.data(), m.size()) != static_cast<ssize_t>(m.size()))
                        return;
                }
                for (int i = 0; i < clients; ++i) {
                    std::string want = std::to_string(i) + ":" + std::to_string(r) + ";", got(want.size(), '\0');
                    std::size_t have = 0;
                    for (ssize_t n = 1; have < got.size() && n > 0; have += static_cast<std::size_t>(n))
                        if ((n = read(s[i], got.data() + have, got.size() - have)) <= 0)
                            n = 0;
                    right += got == want;
                }
            }
        };
        talk();
        for (int c : s)
            if (c >= 0)
                close(c);
        uv_async_send(&served.stop);
    });
    uv_run(&served.loop, UV_RUN_DEFAULT);
    driver.join();
    CHECK(right == clients * rounds);
    CHECK(uv_loop_close(&served.loop) == 0);
}

#include "bench.hpp"

#include "net/address.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace syskit::sockkit {

namespace {

struct Result {
    double p50_us = 0, p99_us = 0, mb_per_s = 0;
};

bool read_n(int fd, char* buf, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

/// Accepts two connections on listen_fd: the first echoes count messages of size bytes, the
/// second is read to its end (the bulk transfer).
void serve(int listen_fd, std::size_t size, std::uint64_t count) {
    {
        fs::UniqueFd c(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
        std::string buf(size, '\0');
        for (std::uint64_t i = 0; c && i < count; ++i)
            if (!read_n(c.get(), buf.data(), size) || !fs::write_all(c.get(), buf.data(), size))
                break;
    }
    fs::UniqueFd c(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    std::string buf(1 << 17, '\0');
    while (c && ::read(c.get(), buf.data(), buf.size()) > 0) {
    }
}

bool measure(const net::Address& a, const Options& o, Result& r, std::string& why) {
    net::Listener l;
    if (!l.open(a, 0600, 16, why))
        return false;
    net::Address target = a;
    if (a.family == net::Family::tcp) {
        sockaddr_in sin{};
        socklen_t len = sizeof sin;
        getsockname(l.fd(), reinterpret_cast<sockaddr*>(&sin), &len);
        target.port = ntohs(sin.sin_port);
    }
    // The listener is non-blocking; the serving thread wants accept to wait.
    int flags = fcntl(l.fd(), F_GETFL);
    fcntl(l.fd(), F_SETFL, flags & ~O_NONBLOCK);
    std::thread server(serve, l.fd(), o.bench_size, o.bench_count);
    auto fail = [&](const std::string& what) {
        why = what;
        l.close(); // wakes the thread from accept with an error
        server.join();
        return false;
    };
    int one = 1;
    fs::UniqueFd c = net::connect_to(target, why);
    if (!c)
        return fail(why);
    if (a.family == net::Family::tcp)
        setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string buf(o.bench_size, 'p');
    std::vector<double> rtt;
    rtt.reserve(o.bench_count);
    for (std::uint64_t i = 0; i < o.bench_count; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        if (!fs::write_all(c.get(), buf.data(), buf.size()) || !read_n(c.get(), buf.data(), buf.size()))
            return fail(std::string("ping-pong: ") + std::strerror(errno));
        rtt.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    c.reset();
    std::sort(rtt.begin(), rtt.end());
    r.p50_us = rtt[rtt.size() / 2];
    r.p99_us = rtt[std::min(rtt.size() - 1, rtt.size() * 99 / 100)];
    fs::UniqueFd bulk = net::connect_to(target, why);
    if (!bulk)
        return fail(why);
    std::string block(1 << 17, 'b');
    auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t sent = 0; sent < o.bench_bytes; sent += block.size())
        if (!fs::write_all(bulk.get(), block.data(), std::min<std::uint64_t>(block.size(), o.bench_bytes - sent)))
            return fail(std::string("bulk: ") + std::strerror(errno));
    shutdown(bulk.get(), SHUT_WR);
    char end;
    while (::read(bulk.get(), &end, 1) > 0) {
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.mb_per_s = static_cast<double>(o.bench_bytes) / secs / 1e6;
    server.join();
    return true;
}

} // namespace

int bench(const Options& o) {
    std::string dir = (std::filesystem::temp_directory_path() / "sockkit-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) {
        cli::error(dir, std::strerror(errno));
        return cli::exit_trouble;
    }
    std::string why;
    net::Address unix_addr{net::Family::unix_path, dir + "/bench.sock", {}, 0};
    net::Address tcp_addr{net::Family::tcp, {}, "127.0.0.1", 0};
    Result u, t;
    bool ok = measure(unix_addr, o, u, why) && measure(tcp_addr, o, t, why);
    std::filesystem::remove_all(dir);
    if (!ok) {
        cli::error("bench", why);
        return cli::exit_trouble;
    }
    fmt::print("{:<10} {:>10} {:>10} {:>12}\n", "transport", "p50_us", "p99_us", "MB/s");
    for (auto& [name, r] : {std::pair{"unix", u}, std::pair{"tcp", t}})
        fmt::print("{:<10} {:>10.1f} {:>10.1f} {:>12.1f}\n", name, r.p50_us, r.p99_us, r.mb_per_s);
    fmt::print("unix/tcp: latency p50 {:.2f}x lower, throughput {:.2f}x higher ({} round trips of {} bytes, {} "
               "bytes in bulk)\n",
               t.p50_us / u.p50_us, u.mb_per_s / t.mb_per_s, o.bench_count, o.bench_size, o.bench_bytes);
    return cli::exit_ok;
}

} // namespace syskit::sockkit

#include "transfer.hpp"

#include "packet.hpp"

#include "net/address.hpp"
#include "net/udp.hpp"
#include "out/plural.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace syskit::sockkit {

namespace {

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

/// SHA-256 of bytes fed in order, a piece at a time.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
    std::string final() {
        unsigned char md[32];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_, md, &n);
        return std::string(reinterpret_cast<char*>(md), 32);
    }

private:
    EVP_MD_CTX* ctx_;
};

/// Reads count bytes of fd at offset at into buf; false with errno set when it cannot (0 for
/// a file shorter than that).
bool read_at(int fd, char* buf, std::size_t count, std::uint64_t at) {
    while (count > 0) {
        ssize_t n = ::pread(fd, buf, count, static_cast<off_t>(at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return false;
        }
        buf += n;
        count -= static_cast<std::size_t>(n);
        at += static_cast<std::uint64_t>(n);
    }
    return true;
}

/// Feeds bytes from to to of fd to h, read with pread(2) into a buffer that stays in the
/// cache: through a mapping, every page would cost a fault (and, in a virtual machine, more).
/// False with errno set when a read fails.
bool feed_file(Sha256& h, int fd, std::uint64_t from, std::uint64_t to) {
    static std::vector<char> buf(1 << 20);
    while (from < to) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(to - from, buf.size()));
        if (!read_at(fd, buf.data(), n, from))
            return false;
        h.update({buf.data(), n});
        from += n;
    }
    return true;
}

std::string hex(std::string_view s) {
    std::string out;
    for (unsigned char c : s)
        out += fmt::format("{:02x}", c);
    return out;
}

std::uint64_t id_of(std::string_view digest) {
    std::uint64_t id = 0;
    for (int i = 0; i < 8; ++i)
        id = id << 8 | static_cast<std::uint8_t>(digest[static_cast<std::size_t>(i)]);
    return id;
}

/// Writes all of data at offset at of fd; false with errno set when it cannot.
bool write_at(int fd, std::string_view data, std::uint64_t at) {
    while (!data.empty()) {
        ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
        at += static_cast<std::uint64_t>(n);
    }
    return true;
}

/// SIGINT and SIGTERM as a descriptor poll(2) can watch, blocked while it lives.
class Signals {
public:
    Signals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigprocmask(SIG_BLOCK, &set_, &old_);
        fd_.reset(signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    }
    ~Signals() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
    int fd() const { return fd_.get(); }
    bool caught() {
        signalfd_siginfo si;
        return fd_ && ::read(fd_.get(), &si, sizeof si) == sizeof si;
    }

private:
    sigset_t set_{}, old_{};
    fs::UniqueFd fd_;
};

/// Socket buffers of 32 MiB: a window in flight must fit the receiver's, or the kernel drops
/// what the sender pushed.  Root may pass net.core.rmem_max (the FORCE options); others get
/// what the limit allows.  Large, so that a receiver kept off the CPU for a few milliseconds
/// (a busy machine) finds the window waiting rather than dropped.
constexpr int buffer_size = 32 << 20;

void grow_buffers(int fd) {
    int size = buffer_size;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

} // namespace

int udp_send(const Options& o) {
    const std::string subject = o.address.str();
    fs::UniqueFd file(::open(o.file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!file || fstat(file.get(), &st) != 0) {
        cli::error(o.file, std::strerror(errno));
        return cli::exit_trouble;
    }
    if (!S_ISREG(st.st_mode)) {
        cli::error(o.file, "not a regular file");
        return cli::exit_trouble;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    Sha256 whole;
    if (!feed_file(whole, file.get(), 0, size)) {
        cli::error(o.file, std::string("read: ") + std::strerror(errno));
        return cli::exit_trouble;
    }
    const std::string digest = whole.final();
    const std::uint64_t id = id_of(digest);
    const std::uint32_t chunk = o.chunk;
    const std::uint64_t total64 = udp::chunks(size, chunk);
    if (total64 > 0xffffffffu) {
        cli::error(o.file, "too large for this --chunk: more chunks than sequence numbers");
        return cli::exit_trouble;
    }
    const auto total = static_cast<std::uint32_t>(total64);
    std::string why;
    fs::UniqueFd sock = net::connect_to(o.address, why);
    if (!sock) {
        cli::error(subject, why);
        return cli::exit_trouble;
    }
    grow_buffers(sock.get());
    Signals signals;
    Loss loss(o.loss);
    net::SendBatch out;
    net::RecvBatch in(64, 65536);

    std::vector<std::uint8_t> acked(total, 0);
    std::vector<std::uint64_t> sent_at(total, 0);
    std::vector<std::uint8_t> sends(total, 0);
    std::uint32_t cum = 0, next_new = 0, highest_sacked = 0, acked_count = 0;
    // The window never holds more than half the receiver's buffer.
    const double max_window =
        std::max<double>(16, std::min<double>(o.window, static_cast<double>(buffer_size / 2) / chunk));
    double cwnd = std::min(32.0, max_window), ssthresh = max_window;
    std::uint64_t srtt = 0, rto = 200000; // microseconds
    // The back-off stops at 2 s, or sooner with a short --timeout: at 50% loss each way a resend
    // gets an answer one time in four, and the sender gives up only after 40 unanswered ones.
    const std::uint64_t max_rto = std::min<std::uint64_t>(2000000, static_cast<std::uint64_t>(o.timeout * 1e6 / 40));
    const std::uint64_t start = now_us();
    std::uint64_t last_heard = start, last_progress = start, last_hello = 0, datagrams = 0, resent = 0;
    bool greeted = false;
    auto send = [&](const std::string& d) {
        ++datagrams;
        if (!loss.drop())
            out.add(d);
    };
    auto send_data = [&](std::uint32_t seq, std::uint64_t now) -> bool {
        std::uint64_t at = static_cast<std::uint64_t>(seq) * chunk;
        if (sends[seq])
            ++resent;
        sends[seq] = static_cast<std::uint8_t>(std::min(sends[seq] + 1, 255));
        sent_at[seq] = now;
        ++datagrams;
        // The payload is read into the datagram's buffer (pread, not a mapping: see feed_file).
        if (loss.drop())
            return true;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, size - at));
        return read_at(file.get(), out.add(udp::data_header(id, seq), n), n, at);
    };
    auto read_failed = [&] {
        cli::error(o.file, errno ? std::string("read: ") + std::strerror(errno) : std::string("shorter than it was"));
        return cli::exit_trouble;
    };
    auto mark = [&](std::uint32_t seq, std::uint64_t now) {
        if (acked[seq])
            return false;
        acked[seq] = 1;
        ++acked_count;
        // Karn: only a chunk sent once gives a round trip time.
        if (sends[seq] == 1 && sent_at[seq]) {
            std::uint64_t rtt = now - sent_at[seq];
            srtt = srtt ? (7 * srtt + rtt) / 8 : rtt;
        }
        return true;
    };

    for (;;) {
        std::uint64_t now = now_us();
        if (!greeted || acked_count == total) {
            // Hello until the receiver answers; at the end, hello again asks for the lost "done".
            if (now > last_hello + rto) {
                send(udp::hello(id, size, chunk, digest));
                last_hello = now;
            }
        } else {
            // The scoreboard: a chunk not acknowledged is lost once a later one was acknowledged
            // and a round trip has passed since it was sent, or once a whole timeout has; the
            // rest are in flight.  Random loss (--loss, a noisy link) costs a resend, not the
            // window: only a receiver gone silent makes the window shrink (below).
            const std::uint64_t wait = std::max<std::uint64_t>(srtt + srtt / 4, 2000);
            std::uint32_t pipe = 0;
            for (std::uint32_t s = cum; s < next_new && out.size() < 4096; ++s) {
                if (acked[s])
                    continue;
                const std::uint64_t age = now - sent_at[s];
                if (((s < highest_sacked && age > wait) || age > rto) && !send_data(s, now))
                    return read_failed();
                ++pipe;
            }
            while (next_new < total && pipe < static_cast<std::uint32_t>(cwnd) && out.size() < 4096) {
                if (!acked[next_new]) {
                    if (!send_data(next_new, now))
                        return read_failed();
                    ++pipe;
                }
                ++next_new;
            }
            if (pipe > 0 && now > last_progress + rto) {
                // Nothing acknowledged for a whole timeout: the receiver or the path is
                // overwhelmed.  Halve the window and double the timeout (back-off).
                cwnd = std::max(cwnd / 2, 16.0);
                ssthresh = cwnd;
                rto = std::min<std::uint64_t>(rto * 2, max_rto);
                last_progress = now;
            }
        }
        if (int err = out.flush(sock.get())) {
            cli::error(subject, std::string("sendmmsg: ") + std::strerror(err));
            return cli::exit_trouble;
        }
        if (now > last_heard + static_cast<std::uint64_t>(o.timeout * 1e6)) {
            cli::error(subject, fmt::format("no answer from the receiver for {} s; {} of {} chunks acknowledged",
                                            o.timeout, acked_count, total));
            return cli::exit_trouble;
        }
        // Datagrams the socket did not take wait for room (POLLOUT), not in a busy loop that
        // would take the CPU from the receiver.
        const short events = out.size() > 0 ? POLLIN | POLLOUT : POLLIN;
        pollfd fds[2] = {{sock.get(), events, 0}, {signals.fd(), POLLIN, 0}};
        if (poll(fds, 2, 1) < 0 && errno != EINTR) {
            cli::error("poll", std::strerror(errno));
            return cli::exit_trouble;
        }
        if (fds[1].revents && signals.caught()) {
            cli::error(subject, fmt::format("interrupted; {} of {} chunks acknowledged", acked_count, total));
            return cli::exit_trouble;
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        int n = in.receive(sock.get());
        if (n < 0) {
            cli::error(subject, std::string("recvmmsg: ") + std::strerror(errno));
            return cli::exit_trouble;
        }
        now = now_us();
        for (int i = 0; i < n; ++i) {
            if (loss.drop())
                continue;
            auto p = udp::parse(in.datagram(static_cast<std::size_t>(i)), why);
            if (!p || p->id != id)
                continue; // not ours, or another transfer's: nothing to act on
            last_heard = now;
            if (p->type == udp::Type::busy) {
                cli::error(subject, "the receiver is busy with another transfer");
                return cli::exit_trouble;
            }
            if (p->type == udp::Type::reset) {
                // A restarted receiver: what it has is what its next ack says, nothing more.
                std::fill(acked.begin(), acked.end(), 0);
                acked_count = cum = next_new = highest_sacked = 0;
                greeted = false;
                last_hello = 0;
                continue;
            }
            if (p->type == udp::Type::done) {
                // The receiver answers done until it hears this (or the sender is silent for
                // its timeout): a lost done is asked for again, a lost bye costs it only time.
                for (int k = 0; k < 3; ++k)
                    send(udp::bye(id));
                if (int err = out.flush(sock.get())) {
                    cli::error(subject, std::string("sendmmsg: ") + std::strerror(err));
                    return cli::exit_trouble;
                }
                if (p->status != 0) {
                    cli::error(subject, "the receiver found a different SHA-256: the file was not written");
                    return cli::exit_trouble;
                }
                double secs = static_cast<double>(now - start) / 1e6;
                fmt::print("{}: {} in {:.3f} s ({:.1f} MB/s), {}, {} resent, sha256 {}\n", o.file,
                           out::plural(size, "byte"), secs, secs > 0 ? static_cast<double>(size) / secs / 1e6 : 0.0,
                           out::plural(total, "chunk"), resent, hex(digest));
                return cli::exit_ok;
            }
            if (p->type != udp::Type::ack)
                continue;
            // A forged or confused ack (past what was sent) is ignored whole.
            bool sane = p->cumulative <= total && (p->ranges.empty() || p->ranges.back().second <= total);
            if (!sane)
                continue;
            greeted = true;
            std::uint32_t fresh = 0;
            for (std::uint32_t s = cum; s < p->cumulative; ++s)
                fresh += mark(s, now);
            for (auto& [a, b] : p->ranges) {
                for (std::uint32_t s = a; s < b; ++s)
                    fresh += mark(s, now);
                highest_sacked = std::max(highest_sacked, b);
            }
            while (cum < total && acked[cum])
                ++cum;
            if (next_new < cum)
                next_new = cum;
            if (fresh > 0) {
                last_progress = now;
                rto = std::clamp<std::uint64_t>(srtt * 4, std::min<std::uint64_t>(100000, max_rto), std::min<std::uint64_t>(1000000, max_rto));
                cwnd = cwnd < ssthresh ? cwnd + fresh : cwnd + static_cast<double>(fresh) / cwnd;
                cwnd = std::min(cwnd, max_window);
            }
        }
    }
}

int udp_recv(const Options& o) {
    const std::string subject = o.address.str();
    std::string why;
    net::Listener listener;
    if (!listener.open(o.address, 0600, 0, why)) {
        cli::error(subject, why);
        return cli::exit_trouble;
    }
    const int sock = listener.fd();
    grow_buffers(sock);
    Signals signals;
    Loss loss(o.loss);
    net::SendBatch out;
    net::RecvBatch in(64, 65536);
    const std::string part = o.file + ".part", state_path = o.file + ".part.state";

    bool active = false;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    std::uint64_t id = 0, size = 0;
    std::uint32_t chunk = 0, total = 0, cum = 0, have = 0;
    std::string digest;
    std::vector<std::uint8_t> got;
    fs::UniqueFd fd;
    std::uint64_t last_heard = 0, last_ack = 0, last_save = 0;
    bool dirty = false;
    // The file's SHA-256, fed with the chunks that have come in order so far: a chunk that
    // comes in its turn from the datagram (still in the cache), those that came early from
    // the file, a few MiB per turn of the loop.  When the last chunk comes, little is left.
    Sha256 running;
    std::uint64_t hashed = 0;
    constexpr std::uint64_t hash_step = 4 << 20;

    // The state file: the transfer's identity and which chunks .part holds, written after
    // .part is synced, so it never claims a chunk the disk does not have.
    auto save = [&]() -> bool {
        if (!active || !dirty)
            return true;
        if (fsync(fd.get()) != 0)
            return false;
        std::string s = udp::hello(id, size, chunk, digest);
        s.append(reinterpret_cast<const char*>(got.data()), got.size());
        std::string tmp = state_path + ".tmp";
        fs::UniqueFd sf(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!sf || !fs::write_all(sf.get(), s.data(), s.size()) || fsync(sf.get()) != 0 ||
            rename(tmp.c_str(), state_path.c_str()) != 0)
            return false;
        dirty = false;
        return true;
    };
    auto send_to_peer = [&](const std::string& d) {
        if (!loss.drop())
            out.add(d, &peer, peer_len);
    };
    auto send_ack = [&] {
        std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
        for (std::uint32_t s = cum; s < total && ranges.size() < udp::max_ranges;) {
            if (!got[s]) {
                ++s;
                continue;
            }
            std::uint32_t e = s;
            while (e < total && got[e])
                ++e;
            ranges.emplace_back(s, e);
            s = e;
        }
        send_to_peer(udp::ack(id, cum, ranges));
    };
    auto begin = [&](const udp::Packet& p) -> bool {
        id = p.id;
        size = p.size;
        chunk = p.chunk;
        digest = p.sha256;
        total = static_cast<std::uint32_t>(udp::chunks(size, chunk));
        got.assign(total, 0);
        cum = have = 0;
        // Resume when the state file describes this very transfer.
        std::string saved;
        bool resume = fs::read_file(state_path.c_str(), saved, 64 + total + 64) &&
                      saved.size() == udp::header_size + 44 + total &&
                      saved.substr(0, udp::header_size + 44) == udp::hello(id, size, chunk, digest);
        fd.reset(::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC), 0644));
        struct stat st {};
        if (!fd || fstat(fd.get(), &st) != 0) {
            cli::error(part, std::strerror(errno));
            return false;
        }
        if (resume && static_cast<std::uint64_t>(st.st_size) == size) {
            std::memcpy(got.data(), saved.data() + udp::header_size + 44, total);
            for (auto g : got)
                have += g != 0;
            while (cum < total && got[cum])
                ++cum;
            cli::info(part, fmt::format("resuming with {} of {} chunks", have, total));
        } else if (ftruncate(fd.get(), 0) != 0 || ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
            cli::error(part, std::string("ftruncate: ") + std::strerror(errno));
            return false;
        }
        active = true;
        return true;
    };
    // Checks the whole file and puts it in place: the status for "done".
    auto complete = [&]() -> int {
        if (!feed_file(running, fd.get(), hashed, size)) {
            cli::error(part, std::string("read: ") + std::strerror(errno));
            return -1;
        }
        hashed = size;
        if (running.final() != digest) {
            unlink(part.c_str());
            unlink(state_path.c_str());
            return 1;
        }
        if (fsync(fd.get()) != 0 || rename(part.c_str(), o.file.c_str()) != 0) {
            cli::error(o.file, std::strerror(errno));
            return -1;
        }
        unlink(state_path.c_str());
        return 0;
    };

    std::uint64_t finished_at = 0;
    int status = -1;
    for (;;) {
        std::uint64_t now = now_us();
        // Done, the receiver stays to answer a sender that missed "done" until the sender says
        // bye or has been silent for as long as it waits itself (--timeout): a sender whose
        // retries are lost, or spaced by its back-off, must still find someone to answer.
        if (finished_at && now - last_heard > static_cast<std::uint64_t>(o.timeout * 1e6))
            break;
        if (active && !finished_at) {
            if (now - last_ack > 5000) {
                send_ack();
                last_ack = now;
            }
            if (now - last_save > 1000000) {
                if (!save()) {
                    cli::error(state_path, std::strerror(errno));
                    return cli::exit_trouble;
                }
                last_save = now;
            }
            if (now - last_heard > static_cast<std::uint64_t>(o.timeout * 1e6)) {
                save();
                cli::error(subject, fmt::format("the sender went silent for {} s; {} of {} chunks kept in {} to "
                                                "resume",
                                                o.timeout, have, total, part));
                return cli::exit_trouble;
            }
        }
        if (int err = out.flush(sock)) {
            cli::error(subject, std::string("sendmmsg: ") + std::strerror(err));
            return cli::exit_trouble;
        }
        pollfd fds[2] = {{sock, POLLIN, 0}, {signals.fd(), POLLIN, 0}};
        if (poll(fds, 2, active ? 5 : 1000) < 0 && errno != EINTR) {
            cli::error("poll", std::strerror(errno));
            return cli::exit_trouble;
        }
        if (fds[1].revents && signals.caught()) {
            if (finished_at)
                break;
            bool saved = save();
            cli::error(subject, active && saved ? fmt::format("interrupted; {} of {} chunks kept in {} to resume",
                                                              have, total, part)
                                                : std::string("interrupted"));
            return cli::exit_trouble;
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        int n = in.receive(sock);
        if (n < 0) {
            cli::error(subject, std::string("recvmmsg: ") + std::strerror(errno));
            return cli::exit_trouble;
        }
        now = now_us();
        bool got_data = false, said_bye = false;
        for (int i = 0; i < n; ++i) {
            if (loss.drop())
                continue;
            auto idx = static_cast<std::size_t>(i);
            auto p = udp::parse(in.datagram(idx), why);
            if (!p)
                continue;
            const bool from_peer = active && net::same_address(in.from(idx), peer);
            if (!active && p->type == udp::Type::hello) {
                peer = in.from(idx);
                peer_len = in.from_len(idx);
                if (!begin(*p))
                    return cli::exit_trouble;
                last_heard = now;
                send_ack();
                if (total == 0 || have == total) {
                    status = complete();
                    if (status < 0)
                        return cli::exit_trouble;
                    finished_at = now;
                    for (int k = 0; k < 3; ++k)
                        send_to_peer(udp::done(id, static_cast<std::uint8_t>(status)));
                }
                continue;
            }
            if (!active || !from_peer || p->id != id) {
                // Another transfer, or one this receiver never saw the start of.
                if (p->type == udp::Type::data || p->type == udp::Type::hello)
                    out.add(active ? udp::busy(p->id) : udp::reset(p->id), &in.from(idx), in.from_len(idx));
                continue;
            }
            last_heard = now;
            if (finished_at) {
                if (p->type == udp::Type::bye) {
                    said_bye = true;
                    break;
                }
                send_to_peer(udp::done(id, static_cast<std::uint8_t>(status)));
                continue;
            }
            if (p->type == udp::Type::hello) {
                send_ack();
                continue;
            }
            if (p->type != udp::Type::data || p->seq >= total)
                continue;
            std::size_t at = static_cast<std::size_t>(p->seq) * chunk;
            if (p->payload.size() != std::min<std::size_t>(chunk, size - at))
                continue;
            got_data = true;
            if (got[p->seq])
                continue;
            // pwrite, not a copy into a mapping: no page fault per page, and a full disk is an
            // error here rather than SIGBUS.
            if (!write_at(fd.get(), p->payload, at)) {
                save();
                cli::error(part, std::string("pwrite: ") + std::strerror(errno));
                return cli::exit_trouble;
            }
            if (at == hashed) {
                running.update(p->payload);
                hashed += p->payload.size();
            }
            got[p->seq] = 1;
            ++have;
            dirty = true;
            while (cum < total && got[cum])
                ++cum;
        }
        if (said_bye)
            break;
        if (active && !finished_at && have < total) {
            std::uint64_t upto = std::min<std::uint64_t>(size, static_cast<std::uint64_t>(cum) * chunk);
            if (upto > hashed) {
                std::uint64_t n = std::min(upto - hashed, hash_step);
                if (!feed_file(running, fd.get(), hashed, hashed + n)) {
                    cli::error(part, std::string("read: ") + std::strerror(errno));
                    return cli::exit_trouble;
                }
                hashed += n;
            }
        }
        if (active && !finished_at && have == total) {
            status = complete();
            if (status < 0)
                return cli::exit_trouble;
            finished_at = now;
            for (int k = 0; k < 3; ++k)
                send_to_peer(udp::done(id, static_cast<std::uint8_t>(status)));
        } else if (got_data) {
            send_ack();
            last_ack = now;
        }
    }
    out.flush(sock);
    if (status != 0) {
        cli::error(o.file, "the SHA-256 of what arrived is not the sender's: nothing written");
        return cli::exit_trouble;
    }
    fmt::print("{}: {}, sha256 {}\n", o.file, out::plural(size, "byte"), hex(digest));
    return cli::exit_ok;
}

} // namespace syskit::sockkit

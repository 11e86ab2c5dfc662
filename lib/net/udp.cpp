#include "net/udp.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace syskit::net {

void SendBatch::add(std::string_view data, const sockaddr_storage* to, socklen_t to_len) {
    Datagram d;
    d.data = data;
    if (to) {
        d.to = *to;
        d.to_len = to_len;
    }
    datagrams_.push_back(std::move(d));
}

char* SendBatch::add(std::string_view head, std::size_t body_size, const sockaddr_storage* to, socklen_t to_len) {
    add(head, to, to_len);
    Datagram& d = datagrams_.back();
    if (!spare_.empty() && spare_.back().capacity >= body_size) {
        d.body = std::move(spare_.back());
        spare_.pop_back();
    } else {
        d.body = {std::make_unique_for_overwrite<char[]>(body_size), body_size};
    }
    d.body_size = body_size;
    return d.body.bytes.get();
}

void SendBatch::recycle(std::size_t count) {
    // Enough for a window of datagrams; beyond that, memory would only grow.
    constexpr std::size_t max_spare = 1024;
    for (std::size_t i = 0; i < count && spare_.size() < max_spare; ++i)
        if (datagrams_[i].body.bytes)
            spare_.push_back(std::move(datagrams_[i].body));
}

int SendBatch::flush(int fd) {
    std::size_t done = 0;
    while (done < datagrams_.size()) {
        const std::size_t n = std::min<std::size_t>(datagrams_.size() - done, 256);
        std::vector<iovec> iov(2 * n);
        std::vector<mmsghdr> msgs(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto& d = datagrams_[done + i];
            iov[2 * i] = {d.data.data(), d.data.size()};
            iov[2 * i + 1] = {d.body.bytes.get(), d.body_size};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[2 * i];
            msgs[i].msg_hdr.msg_iovlen = d.body_size == 0 ? 1 : 2;
            if (d.to_len) {
                msgs[i].msg_hdr.msg_name = &d.to;
                msgs[i].msg_hdr.msg_namelen = d.to_len;
            }
        }
        int sent = sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            recycle(done);
            datagrams_.erase(datagrams_.begin(), datagrams_.begin() + static_cast<std::ptrdiff_t>(done));
            // A full buffer keeps the rest for later; a refused datagram (nobody listening yet:
            // ECONNREFUSED from an earlier ICMP) is the protocol's to retry, like a lost one.
            return err == EAGAIN || err == ENOBUFS || err == ECONNREFUSED ? 0 : err;
        }
        done += static_cast<std::size_t>(sent);
    }
    recycle(done);
    datagrams_.clear();
    return 0;
}

RecvBatch::RecvBatch(std::size_t count, std::size_t size)
    : buffers_(count, std::string(size, '\0')), iov_(count), from_(count), msgs_(count) {}

int RecvBatch::receive(int fd) {
    for (std::size_t i = 0; i < msgs_.size(); ++i) {
        iov_[i] = {buffers_[i].data(), buffers_[i].size()};
        msgs_[i] = {};
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_hdr.msg_name = &from_[i];
        msgs_[i].msg_hdr.msg_namelen = sizeof from_[i];
    }
    for (;;) {
        int n = recvmmsg(fd, msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT, nullptr);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        // ECONNREFUSED: an ICMP error for an earlier send; nothing to receive.
        if (errno == EAGAIN || errno == ECONNREFUSED)
            return 0;
        return -1;
    }
}

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family)
        return false;
    if (a.ss_family == AF_INET) {
        auto& x = reinterpret_cast<const sockaddr_in&>(a);
        auto& y = reinterpret_cast<const sockaddr_in&>(b);
        return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        auto& x = reinterpret_cast<const sockaddr_in6&>(a);
        auto& y = reinterpret_cast<const sockaddr_in6&>(b);
        return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
    }
    return false;
}

} // namespace syskit::net

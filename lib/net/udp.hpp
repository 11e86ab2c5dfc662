// udp: datagrams in batches: many sent with one sendmmsg(2), many received with one
// recvmmsg(2), so that a transfer pays a system call per batch, not per datagram.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace syskit::net {

/// Datagrams waiting to be sent on a connected or an unconnected socket.
class SendBatch {
public:
    /// Queues data for to (nullptr: the socket's connected peer).  The bytes are copied.
    void add(std::string_view data, const sockaddr_storage* to = nullptr, socklen_t to_len = 0);
    /// Queues head (copied) followed by body_size bytes that the caller writes at the pointer
    /// returned (a pread(2) of a file's chunk): a buffer of the datagram's own, which stays
    /// until it is sent, and whose bytes are not zeroed first.  The buffers of datagrams sent
    /// are used again: no allocation, and no fresh pages to fault in, per datagram.
    char* add(std::string_view head, std::size_t body_size, const sockaddr_storage* to = nullptr,
              socklen_t to_len = 0);
    std::size_t size() const { return datagrams_.size(); }
    /// Sends what it can with sendmmsg(2); the rest (a full socket buffer) stays queued.
    /// Returns 0, or the errno of a failure other than EAGAIN.
    int flush(int fd);

private:
    struct Buffer {
        std::unique_ptr<char[]> bytes;
        std::size_t capacity = 0;
    };
    struct Datagram {
        std::string data;
        Buffer body;                  ///< body_size bytes of it sent after data
        std::size_t body_size = 0;
        sockaddr_storage to{};
        socklen_t to_len = 0;
    };
    /// Gives the bodies of the first count datagrams, sent, to spare_.
    void recycle(std::size_t count);
    std::vector<Datagram> datagrams_;
    std::vector<Buffer> spare_; ///< bodies of datagrams sent, for add() to use again
};

/// Buffers for receiving up to count datagrams of up to size bytes each with recvmmsg(2).
class RecvBatch {
public:
    RecvBatch(std::size_t count, std::size_t size);
    /// Receives what is waiting without blocking: how many datagrams (0 when none), or -1 with
    /// errno set.
    int receive(int fd);
    std::string_view datagram(std::size_t i) const {
        return {buffers_[i].data(), static_cast<std::size_t>(msgs_[i].msg_len)};
    }
    const sockaddr_storage& from(std::size_t i) const { return from_[i]; }
    socklen_t from_len(std::size_t i) const { return msgs_[i].msg_hdr.msg_namelen; }

private:
    std::vector<std::string> buffers_;
    std::vector<iovec> iov_;
    std::vector<sockaddr_storage> from_;
    std::vector<mmsghdr> msgs_;
};

/// Whether two socket addresses are the same (family, address and port).
bool same_address(const sockaddr_storage& a, const sockaddr_storage& b);

} // namespace syskit::net

#include "client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syskit::sockkit {

bool Stream::connect(const net::Address& a, const std::string& ca, std::string& error) {
    fd_ = net::connect_to(a, error);
    if (!fd_)
        return false;
    if (!ca.empty()) {
        tls_ = net::TlsClient::connect(fd_.get(), ca, a.host, error);
        if (!tls_)
            return false;
    }
    return true;
}

ssize_t Stream::read(char* buf, std::size_t n, std::string& error) {
    if (tls_) {
        return tls_->read(buf, n, error);
    }
    for (;;) {
        ssize_t r = ::read(fd_.get(), buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        // A reset after the server has said all it had to say ends the stream like an EOF.
        if (errno == ECONNRESET)
            return 0;
        error = std::string("read: ") + std::strerror(errno);
        return -1;
    }
}

bool Stream::write_all(std::string_view data, std::string& error) {
    if (tls_) {
        return tls_->write_all(data, error);
    }
    while (!data.empty()) {
        ssize_t w = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            error = std::string("write: ") + std::strerror(errno);
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
    }
    return true;
}

void Stream::shutdown_write() {
    if (!tls_)
        ::shutdown(fd_.get(), SHUT_WR);
}

} // namespace syskit::sockkit

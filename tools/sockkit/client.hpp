// client: the client end of a stream connection, plain or TLS, with blocking reads and writes.
#pragma once

#include "net/address.hpp"
#include "net/tls_client.hpp"

#include "fs/fd.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace syskit::sockkit {

class Stream {
public:
    /// Connects to a; with ca not empty, speaks TLS over it, trusting the certificates in ca.
    /// False with error naming the call when it cannot (the caller names the address).
    bool connect(const net::Address& a, const std::string& ca, std::string& error);
    /// Up to n bytes: how many, 0 at the end of the stream, -1 with error set.
    ssize_t read(char* buf, std::size_t n, std::string& error);
    bool write_all(std::string_view data, std::string& error);
    /// Tells the server nothing more will come: shutdown(SHUT_WR) on a plain connection; under
    /// TLS, where that would end the session, nothing.
    void shutdown_write();
    bool tls() const { return tls_ != nullptr; }
    /// Whether read() has bytes that poll(2) on fd() cannot see (decrypted, inside OpenSSL).
    bool pending() const { return tls_ && tls_->pending(); }
    int fd() const { return fd_.get(); }

private:
    fs::UniqueFd fd_;
    std::unique_ptr<net::TlsClient> tls_;
};

} // namespace syskit::sockkit

// tls_client: the client side of TLS over a connected, blocking socket, verifying the server's
// certificate chain and name (book chapter 10).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace syskit::net {

class TlsClient {
public:
    /// Runs the handshake over fd, which stays the caller's.  The server's chain must lead to a
    /// certificate in ca_file (PEM; empty: the system's trust store) and name host (a DNS name
    /// or an IP literal).  nullptr with error set when the handshake or the check fails.
    static std::unique_ptr<TlsClient> connect(int fd, const std::string& ca_file, const std::string& host,
                                              std::string& error);
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    /// Reads up to n bytes of plaintext: how many, 0 at the end of the stream (close_notify or
    /// EOF), -1 with error set on failure.
    ssize_t read(char* buf, std::size_t n, std::string& error);
    /// Writes all of data; false with error set on failure.
    bool write_all(std::string_view data, std::string& error);
    /// Whether decrypted bytes wait in OpenSSL, which poll(2) on the socket cannot see.
    bool pending() const;
    /// Sends close_notify.
    void shutdown();

private:
    TlsClient(SSL_CTX* ctx, SSL* ssl) : ctx_(ctx), ssl_(ssl) {}
    SSL_CTX* ctx_;
    SSL* ssl_;
};

} // namespace syskit::net

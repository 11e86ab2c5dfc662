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

    /// What read and write_some return on a non-blocking socket when OpenSSL must wait for it
    /// (wants_write() says in which direction).  A blocking socket never gives it.
    static constexpr ssize_t would_block = -2;

    /// Reads up to n bytes of plaintext: how many, 0 at the end of the stream (close_notify or
    /// EOF), -1 with error set on failure, or would_block.
    ssize_t read(char* buf, std::size_t n, std::string& error);
    /// For a non-blocking socket: writes what the socket takes now of data, a record at a time:
    /// how many bytes, would_block, or -1 with error set.  After would_block, call it again
    /// with the same bytes (at the same place or not) once poll(2) says the socket is ready.
    ssize_t write_some(std::string_view data, std::string& error);
    /// Whether the last would_block waits for the socket to take bytes (else to bring some).
    bool wants_write() const { return wants_write_; }
    /// Writes all of data; false with error set on failure.
    bool write_all(std::string_view data, std::string& error);
    /// Whether decrypted bytes wait in OpenSSL, which poll(2) on the socket cannot see.
    bool pending() const;
    /// Sends close_notify.
    void shutdown();

private:
    TlsClient(SSL_CTX* ctx, SSL* ssl) : ctx_(ctx), ssl_(ssl) {}
    /// would_block, remembering the direction, when e (SSL_get_error) says OpenSSL must wait.
    bool blocked(int e);

    SSL_CTX* ctx_;
    SSL* ssl_;
    bool wants_write_ = false;
};

} // namespace syskit::net

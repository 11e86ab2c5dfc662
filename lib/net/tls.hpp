// tls: TLS for servers on an event loop, with OpenSSL 3 memory BIOs: the loop moves ciphertext,
// OpenSSL never touches the socket (book chapter 10).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace syskit::net {

/// A server's certificate chain and private key (PEM), shared by every connection and thread.
class TlsContext {
public:
    /// Loads cert_file (a PEM chain) and key_file; nullptr with error set when they cannot be
    /// read, do not parse or do not match.  TLS 1.2 is the oldest version offered.
    static std::unique_ptr<TlsContext> load(const std::string& cert_file, const std::string& key_file,
                                            std::string& error);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    SSL_CTX* get() const { return ctx_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
};

/// The server side of one TLS connection.  Ciphertext goes in with feed() and comes out with
/// drain(); plaintext comes out of feed() and goes in with encrypt().
class TlsSession {
public:
    explicit TlsSession(const TlsContext& ctx);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    /// Takes ciphertext from the peer, advances the handshake, and appends the application data
    /// it decrypts to plain.  False on a TLS error or a close_notify from the peer; error() says
    /// which.
    bool feed(std::string_view cipher, std::string& plain);
    /// Encrypts plain, appending the records to cipher.  False on a TLS error.
    bool encrypt(std::string_view plain, std::string& cipher);
    /// Appends the ciphertext waiting to be sent (handshake messages, records, alerts) to cipher.
    void drain(std::string& cipher);
    /// Why the last feed() or encrypt() failed.
    const std::string& error() const { return error_; }

private:
    SSL* ssl_;
    BIO* rbio_; ///< ciphertext from the peer, read by OpenSSL
    BIO* wbio_; ///< ciphertext to the peer, written by OpenSSL
    std::string error_;
};

/// what, followed by the last error on OpenSSL's queue as text when there is one; the queue
/// is emptied.  For the messages of the TLS code (server and client).
std::string ssl_error(std::string_view what);

} // namespace syskit::net

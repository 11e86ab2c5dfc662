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
    /// For connections between peers that prove themselves to each other, as a cluster's
    /// nodes do: cert_file and key_file as load() takes them, presented by both ends, and
    /// ca_file (PEM), the certificates a peer's chain must lead to.  The context serves either
    /// end of a connection (TlsSession::Side); a peer without a certificate, or with one that
    /// ca_file's certificates did not sign, is refused.  Names are not checked: the CA is the
    /// peers' identity.  nullptr with error set when a file cannot be loaded.
    static std::unique_ptr<TlsContext> load_mutual(const std::string& cert_file, const std::string& key_file,
                                                   const std::string& ca_file, std::string& error);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    SSL_CTX* get() const { return ctx_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
};

/// One TLS connection, the server side unless told otherwise.  Ciphertext goes in with feed()
/// and comes out with drain(); plaintext comes out of feed() and goes in with encrypt().
class TlsSession {
public:
    /// Which end of the connection a session is.
    enum class Side { accept, connect };
    explicit TlsSession(const TlsContext& ctx);
    /// A session for side.  connect needs a context that may connect (load_mutual()'s); its
    /// first feed(), of nothing, writes the handshake's first message for drain().
    TlsSession(const TlsContext& ctx, Side side);
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
    /// Why the last feed() or encrypt() failed.  A peer certificate the context refused is
    /// named as such: "the peer's certificate: " and the reason.
    const std::string& error() const { return error_; }
    /// Whether the handshake is over.  encrypt() needs it: plaintext waits until then.
    bool ready() const;

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

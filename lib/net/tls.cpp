#include "net/tls.hpp"

#include <openssl/err.h>

namespace syskit::net {

std::unique_ptr<TlsContext> TlsContext::load(const std::string& cert_file, const std::string& key_file,
                                             std::string& error) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        error = ssl_error("cannot create a TLS context");
        return nullptr;
    }
    std::unique_ptr<TlsContext> tc(new TlsContext(ctx));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Replies are written whole, but a partial write must not fail the connection.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        error = ssl_error(cert_file + ": cannot load the certificate");
        return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        error = ssl_error(key_file + ": cannot load the private key");
        return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        error = ssl_error(key_file + ": the key does not match the certificate");
        return nullptr;
    }
    return tc;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsContext& ctx)
    : ssl_(SSL_new(ctx.get())), rbio_(BIO_new(BIO_s_mem())), wbio_(BIO_new(BIO_s_mem())) {
    // SSL_set_bio hands both BIOs to ssl_, which frees them.
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

bool TlsSession::feed(std::string_view cipher, std::string& plain) {
    while (!cipher.empty()) {
        int n = BIO_write(rbio_, cipher.data(), static_cast<int>(std::min<std::size_t>(cipher.size(), 1 << 30)));
        if (n <= 0) {
            error_ = "cannot buffer TLS input";
            return false;
        }
        cipher.remove_prefix(static_cast<std::size_t>(n));
    }
    char buf[16384];
    for (;;) {
        int n = SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) {
            plain.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return true;
        error_ = err == SSL_ERROR_ZERO_RETURN ? "closed by the peer" : ssl_error("TLS error");
        return false;
    }
}

bool TlsSession::encrypt(std::string_view plain, std::string& cipher) {
    while (!plain.empty()) {
        int n = SSL_write(ssl_, plain.data(), static_cast<int>(std::min<std::size_t>(plain.size(), 1 << 30)));
        if (n <= 0) {
            error_ = ssl_error("TLS error");
            return false;
        }
        plain.remove_prefix(static_cast<std::size_t>(n));
        drain(cipher);
    }
    drain(cipher);
    return true;
}

void TlsSession::drain(std::string& cipher) {
    char buf[16384];
    int n;
    while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0)
        cipher.append(buf, static_cast<std::size_t>(n));
}

std::string ssl_error(std::string_view what) {
    unsigned long e = ERR_get_error();
    std::string msg(what);
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    return msg;
}

} // namespace syskit::net

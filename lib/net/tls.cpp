#include "net/tls.hpp"

#include <openssl/err.h>

namespace syskit::net {

namespace {

/// A context of method with cert_file and key_file loaded into it; nullptr with error set.
SSL_CTX* new_context(const SSL_METHOD* method, const std::string& cert_file, const std::string& key_file,
                     std::string& error) {
    SSL_CTX* ctx = SSL_CTX_new(method);
    if (!ctx) {
        error = ssl_error("cannot create a TLS context");
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Replies are written whole, but a partial write must not fail the connection.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
        error = ssl_error(cert_file + ": cannot load the certificate");
    else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        error = ssl_error(key_file + ": cannot load the private key");
    else if (SSL_CTX_check_private_key(ctx) != 1)
        error = ssl_error(key_file + ": the key does not match the certificate");
    else
        return ctx;
    SSL_CTX_free(ctx);
    return nullptr;
}

} // namespace

std::unique_ptr<TlsContext> TlsContext::load(const std::string& cert_file, const std::string& key_file,
                                             std::string& error) {
    SSL_CTX* ctx = new_context(TLS_server_method(), cert_file, key_file, error);
    return ctx ? std::unique_ptr<TlsContext>(new TlsContext(ctx)) : nullptr;
}

std::unique_ptr<TlsContext> TlsContext::load_mutual(const std::string& cert_file, const std::string& key_file,
                                                    const std::string& ca_file, std::string& error) {
    SSL_CTX* ctx = new_context(TLS_method(), cert_file, key_file, error);
    if (!ctx)
        return nullptr;
    std::unique_ptr<TlsContext> tc(new TlsContext(ctx));
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
        error = ssl_error(ca_file + ": cannot load the CA certificates");
        return nullptr;
    }
    // Both ends verify; the accepting end also insists on a certificate.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Sessions are not resumed: every connection proves itself in full.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return tc;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsContext& ctx) : TlsSession(ctx, Side::accept) {}

TlsSession::TlsSession(const TlsContext& ctx, Side side)
    : ssl_(SSL_new(ctx.get())), rbio_(BIO_new(BIO_s_mem())), wbio_(BIO_new(BIO_s_mem())) {
    // SSL_set_bio hands both BIOs to ssl_, which frees them.
    SSL_set_bio(ssl_, rbio_, wbio_);
    if (side == Side::accept)
        SSL_set_accept_state(ssl_);
    else
        SSL_set_connect_state(ssl_);
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
        long verified = SSL_get_verify_result(ssl_);
        if (err == SSL_ERROR_ZERO_RETURN) {
            error_ = "closed by the peer";
        } else if (verified != X509_V_OK) {
            error_ = std::string("the peer's certificate: ") + X509_verify_cert_error_string(verified);
            ERR_clear_error();
        } else {
            error_ = ssl_error("TLS error");
        }
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

bool TlsSession::ready() const { return SSL_is_init_finished(ssl_) == 1; }

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

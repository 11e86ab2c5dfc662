#include "net/tls_client.hpp"
#include "net/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace syskit::net {

namespace {

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

} // namespace

std::unique_ptr<TlsClient> TlsClient::connect(int fd, const std::string& ca_file, const std::string& host,
                                              std::string& error) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        error = ssl_error("cannot create a TLS context");
        return nullptr;
    }
    SSL* ssl = SSL_new(ctx);
    std::unique_ptr<TlsClient> c(new TlsClient(ctx, ssl));
    if (!ssl) {
        error = ssl_error("cannot create a TLS connection");
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                 : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
    if (loaded != 1) {
        error = ssl_error((ca_file.empty() ? std::string("the system's trust store") : ca_file) +
                          ": cannot load the certificates");
        return nullptr;
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, host.c_str());
        SSL_set1_host(ssl, host.c_str());
    }
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        error = v != X509_V_OK ? std::string("TLS handshake: the server's certificate: ") +
                                     X509_verify_cert_error_string(v)
                               : ssl_error("TLS handshake");
        ERR_clear_error();
        return nullptr;
    }
    return c;
}

TlsClient::~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
}

ssize_t TlsClient::read(char* buf, std::size_t n, std::string& error) {
    int r = SSL_read(ssl_, buf, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (r > 0)
        return r;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    if (blocked(e))
        return would_block;
    // A peer that closes the TCP connection without close_notify: the end, as for plain TCP.
    if (e == SSL_ERROR_SYSCALL || (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                                             SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        ERR_clear_error();
        return 0;
    }
    error = ssl_error("SSL_read");
    return -1;
}

bool TlsClient::write_all(std::string_view data, std::string& error) {
    while (!data.empty()) {
        int w = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
        if (w <= 0) {
            error = ssl_error("SSL_write");
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
    }
    return true;
}

bool TlsClient::blocked(int e) {
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return false;
    wants_write_ = e == SSL_ERROR_WANT_WRITE;
    return true;
}

ssize_t TlsClient::write_some(std::string_view data, std::string& error) {
    // Partial writes: a record's worth returns at once; a moving buffer: the retry after
    // would_block may come from where the caller keeps its bytes now.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    int w = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
    if (w > 0)
        return w;
    if (blocked(SSL_get_error(ssl_, w)))
        return would_block;
    error = ssl_error("SSL_write");
    return -1;
}

bool TlsClient::pending() const { return SSL_pending(ssl_) > 0; }

void TlsClient::shutdown() { SSL_shutdown(ssl_); }

} // namespace syskit::net

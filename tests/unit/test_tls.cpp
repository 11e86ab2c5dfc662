// lib/net/tls: the server side of TLS over memory BIOs, against an OpenSSL client in the same
// process, with a certificate the test makes at run time; and peers that verify each other
// (load_mutual), with a CA the test makes.
#include "net/tls.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

using namespace syskit;

namespace {

template <class T, void (*Free)(T*)>
struct Freer {
    void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Freer<X509, X509_free>>;
using Ctx = std::unique_ptr<SSL_CTX, Freer<SSL_CTX, SSL_CTX_free>>;
using Ssl = std::unique_ptr<SSL, Freer<SSL, SSL_free>>;
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;

/// A certificate and its key.
struct Made {
    Cert x;
    Key key;
};

/// A P-256 certificate named cn, valid for a day, signed by issuer (itself without one), a CA's
/// when ca, written with its key as PEM to cert_path and key_path.
Made make_signed(const std::string& cert_path, const std::string& key_path, const char* cn, const Made* issuer,
                 bool ca) {
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(key);
    Cert x(X509_new());
    REQUIRE(X509_set_version(x.get(), 2) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
    REQUIRE(X509_set_pubkey(x.get(), key.get()) == 1);
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    REQUIRE(X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->x.get()) : name) == 1);
    if (ca) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
        REQUIRE(ext);
        REQUIRE(X509_add_ext(x.get(), ext, -1) == 1);
        X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(x.get(), issuer ? issuer->key.get() : key.get(), EVP_sha256()) > 0);
    Bio c(BIO_new_file(cert_path.c_str(), "w")), k(BIO_new_file(key_path.c_str(), "w"));
    REQUIRE(c);
    REQUIRE(k);
    REQUIRE(PEM_write_bio_X509(c.get(), x.get()) == 1);
    REQUIRE(PEM_write_bio_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return {std::move(x), std::move(key)};
}

/// A self-signed P-256 certificate for "localhost", valid for a day, written with its key as
/// PEM to cert_path and key_path.
Cert make_certificate(const std::string& cert_path, const std::string& key_path) {
    return make_signed(cert_path, key_path, "localhost", nullptr, false).x;
}

/// A TLS client on memory BIOs that trusts one certificate and checks the name "localhost".
struct Client {
    explicit Client(X509* trusted) : ctx(SSL_CTX_new(TLS_client_method())) {
        REQUIRE(ctx);
        REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trusted) == 1);
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        ssl.reset(SSL_new(ctx.get()));
        in = BIO_new(BIO_s_mem());
        out = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl.get(), in, out); // ssl frees them
        REQUIRE(SSL_set1_host(ssl.get(), "localhost") == 1);
        SSL_set_connect_state(ssl.get());
    }
    /// The ciphertext the client has written, for the server.
    std::string take() {
        std::string r;
        char buf[4096];
        int n;
        while ((n = BIO_read(out, buf, sizeof buf)) > 0)
            r.append(buf, static_cast<std::size_t>(n));
        return r;
    }
    void give(std::string_view cipher) {
        if (!cipher.empty())
            REQUIRE(BIO_write(in, cipher.data(), static_cast<int>(cipher.size())) == static_cast<int>(cipher.size()));
    }
    /// The plaintext the server's records held, once given.
    std::string read() {
        std::string r;
        char buf[4096];
        int n;
        while ((n = SSL_read(ssl.get(), buf, sizeof buf)) > 0)
            r.append(buf, static_cast<std::size_t>(n));
        return r;
    }

    Ctx ctx;
    Ssl ssl;
    BIO* in;
    BIO* out;
};

/// Moves bytes between client and server until the handshake is over on both sides.
void handshake(Client& client, net::TlsSession& server) {
    for (int round = 0; round < 10; ++round) {
        int done = SSL_do_handshake(client.ssl.get());
        std::string to_server = client.take(), plain, to_client;
        REQUIRE_MESSAGE(server.feed(to_server, plain), server.error());
        CHECK(plain.empty());
        server.drain(to_client);
        client.give(to_client);
        if (done == 1 && to_server.empty() && to_client.empty())
            return;
    }
    FAIL("the handshake did not finish");
}

struct Files {
    TempDir t;
    std::string cert = t / "cert.pem", key = t / "key.pem";
    Cert x = make_certificate(cert, key);
};

/// A CA and a certificate it signed, as files, as a cluster's nodes have them.
struct Pki {
    explicit Pki(const char* ca_name = "cluster CA") : ca_made(make_signed(ca, t / "ca.key", ca_name, nullptr, true)) {}
    TempDir t;
    std::string ca = t / "ca.pem", cert = t / "node.pem", key = t / "node.key";
    Made ca_made;
    Made node = make_signed(cert, key, "node", &ca_made, false);

    std::unique_ptr<net::TlsContext> context(const std::string& trusted) const {
        std::string error;
        auto ctx = net::TlsContext::load_mutual(cert, key, trusted, error);
        REQUIRE_MESSAGE(ctx, error);
        return ctx;
    }
};

/// Moves ciphertext between two sessions until neither has more to send; plaintext they
/// decrypt goes to a_plain and b_plain.  False when one of them failed.
bool exchange(net::TlsSession& a, net::TlsSession& b, std::string& a_plain, std::string& b_plain) {
    for (int round = 0; round < 10; ++round) {
        std::string ab, ba;
        a.drain(ab);
        b.drain(ba);
        if (ab.empty() && ba.empty())
            return true;
        if (!b.feed(ab, b_plain) || !a.feed(ba, a_plain))
            return false;
    }
    FAIL("the sessions did not settle");
    return false;
}

} // namespace

TEST_CASE("tls: a context from a certificate and its key; TLS 1.2 at least") {
    Files f;
    std::string error;
    auto ctx = net::TlsContext::load(f.cert, f.key, error);
    REQUIRE_MESSAGE(ctx, error);
    CHECK(SSL_CTX_get_min_proto_version(ctx->get()) == TLS1_2_VERSION);
}

TEST_CASE("tls: files that are missing, are not PEM, or do not match") {
    Files f, other;
    std::string error;
    CHECK_FALSE(net::TlsContext::load(f.t / "none.pem", f.key, error));
    CHECK(error.starts_with(f.t / "none.pem" + ": cannot load the certificate: "));
    CHECK_FALSE(net::TlsContext::load(f.cert, f.t / "none.pem", error));
    CHECK(error.starts_with(f.t / "none.pem" + ": cannot load the private key: "));
    f.t.write("junk.pem", "not a certificate\n");
    CHECK_FALSE(net::TlsContext::load(f.t / "junk.pem", f.key, error));
    CHECK(error.starts_with(f.t / "junk.pem" + ": cannot load the certificate"));
    // A key of the certificate's type is checked as it is loaded; one of another type only
    // against the certificate.
    CHECK_FALSE(net::TlsContext::load(f.cert, other.key, error));
    CHECK(error.starts_with(other.key + ": cannot load the private key: "));
    Key ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    REQUIRE(ed);
    std::string ed_path = f.t / "ed25519.pem";
    {
        Bio b(BIO_new_file(ed_path.c_str(), "w"));
        REQUIRE(PEM_write_bio_PrivateKey(b.get(), ed.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    }
    CHECK_FALSE(net::TlsContext::load(f.cert, ed_path, error));
    CHECK(error.starts_with(ed_path + ": the key does not match the certificate"));
}

TEST_CASE("tls: a handshake, then data both ways, then close_notify") {
    Files f;
    std::string error;
    auto ctx = net::TlsContext::load(f.cert, f.key, error);
    REQUIRE_MESSAGE(ctx, error);
    net::TlsSession server(*ctx);
    Client client(f.x.get());
    handshake(client, server);
    CHECK(SSL_get_verify_result(client.ssl.get()) == X509_V_OK); // our certificate, for localhost

    // Client to server, one byte at a time: plaintext comes out once a record is whole.
    REQUIRE(SSL_write(client.ssl.get(), "hello", 5) == 5);
    std::string cipher = client.take(), plain;
    CHECK(cipher.find("hello") == std::string::npos);
    for (char c : cipher)
        REQUIRE_MESSAGE(server.feed(std::string_view(&c, 1), plain), server.error());
    CHECK(plain == "hello");

    // Server to client.
    std::string to_client;
    REQUIRE_MESSAGE(server.encrypt("world, " + std::string(40000, 'x'), to_client), server.error());
    CHECK(to_client.find("world") == std::string::npos);
    client.give(to_client);
    CHECK(client.read() == "world, " + std::string(40000, 'x'));

    // The client closes.
    SSL_shutdown(client.ssl.get());
    plain.clear();
    CHECK_FALSE(server.feed(client.take(), plain));
    CHECK(server.error() == "closed by the peer");
    CHECK(plain.empty());
}

TEST_CASE("tls: plain text on a TLS connection is an error") {
    Files f;
    std::string error;
    auto ctx = net::TlsContext::load(f.cert, f.key, error);
    REQUIRE_MESSAGE(ctx, error);
    net::TlsSession server(*ctx);
    std::string plain;
    CHECK_FALSE(server.feed("PING\r\n", plain));
    CHECK(server.error().starts_with("TLS error: "));
    CHECK(plain.empty());
}

TEST_CASE("tls: peers that one CA signed prove themselves to each other") {
    Pki pki;
    auto accept_ctx = pki.context(pki.ca), connect_ctx = pki.context(pki.ca);
    net::TlsSession server(*accept_ctx), client(*connect_ctx, net::TlsSession::Side::connect);
    std::string from_server, from_client;
    CHECK_FALSE(client.ready());
    REQUIRE(client.feed({}, from_server)); // the client's hello
    REQUIRE_MESSAGE(exchange(client, server, from_server, from_client), (server.error() + client.error()));
    CHECK(client.ready());
    CHECK(server.ready());
    std::string c2s, s2c;
    REQUIRE(client.encrypt("frame from the client", c2s));
    REQUIRE(server.encrypt("frame from the server", s2c));
    REQUIRE(server.feed(c2s, from_client));
    REQUIRE(client.feed(s2c, from_server));
    CHECK(from_client == "frame from the client");
    CHECK(from_server == "frame from the server");
}

TEST_CASE("tls: a peer whose certificate another CA signed is refused, either end") {
    Pki pki, foreign("foreign CA");
    // The foreign node trusts the cluster's CA, but shows a certificate of its own CA.
    auto ours = pki.context(pki.ca), theirs = foreign.context(pki.ca);
    std::string a, b;
    {
        net::TlsSession server(*ours), client(*theirs, net::TlsSession::Side::connect);
        REQUIRE(client.feed({}, a));
        CHECK_FALSE(exchange(client, server, a, b));
        CHECK(server.error() == "the peer's certificate: unable to get local issuer certificate");
    }
    {
        net::TlsSession server(*theirs), client(*ours, net::TlsSession::Side::connect);
        REQUIRE(client.feed({}, a));
        CHECK_FALSE(exchange(client, server, a, b));
        CHECK(client.error() == "the peer's certificate: unable to get local issuer certificate");
        CHECK_FALSE(client.ready());
    }
    CHECK(a.empty());
    CHECK(b.empty());
}

TEST_CASE("tls: a peer without a certificate is refused") {
    Pki pki;
    auto ctx = pki.context(pki.ca);
    net::TlsSession server(*ctx);
    Client client(pki.ca_made.x.get()); // trusts the CA, shows no certificate
    SSL_set_hostflags(client.ssl.get(), 0);
    REQUIRE(SSL_set1_host(client.ssl.get(), nullptr) == 1);
    std::string plain, to_client;
    bool ok = true;
    for (int round = 0; round < 5 && ok; ++round) {
        SSL_do_handshake(client.ssl.get());
        ok = server.feed(client.take(), plain);
        server.drain(to_client);
        client.give(std::exchange(to_client, {}));
    }
    CHECK_FALSE(ok);
    CHECK(server.error().find("certificate") != std::string::npos);
    CHECK(plain.empty());
}

TEST_CASE("tls: a mutual context needs its CA file") {
    Pki pki;
    std::string error;
    CHECK_FALSE(net::TlsContext::load_mutual(pki.cert, pki.key, pki.t / "none.pem", error));
    CHECK(error.starts_with(pki.t / "none.pem" + ": cannot load the CA certificates"));
    CHECK_FALSE(net::TlsContext::load_mutual(pki.t / "none.pem", pki.key, pki.ca, error));
    CHECK(error.starts_with(pki.t / "none.pem" + ": cannot load the certificate"));
}

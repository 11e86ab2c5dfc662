// auth: the shared secret of --requirepass / --token-file, checked by RESP AUTH and HTTP
// "Authorization: Bearer"; and the TLS a cluster's nodes prove themselves to each other with.
#pragma once

#include "net/tls.hpp"

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace syskit::cachenode {

class Auth {
public:
    /// password: empty means no authentication.
    explicit Auth(std::string_view password);
    bool required() const { return required_; }
    /// Whether candidate is the password, in time that does not depend on where they differ
    /// or on their lengths (both are hashed first, then compared with CRYPTO_memcmp).
    bool check(std::string_view candidate) const;

private:
    bool required_;
    std::array<unsigned char, 32> digest_{};
};

/// Reads the password from the token file at path: its content without the final newline
/// (or CR LF).  False with error set when the file cannot be read, is larger than 4096 bytes
/// or holds nothing.
bool read_token(const std::string& path, std::string& token, std::string& error);

namespace cluster {

/// The TLS between the nodes of a cluster, both ends verified against the cluster's CA
/// (TlsContext::load_mutual): the cluster bus and the replication it carries, MIGRATE, and the
/// HTTP API's forwarding all use it, so a node whose clients must use TLS never sends its data
/// in the clear.  Null, the default, without TLS: they speak plain TCP.  MIGRATE and the
/// forwarding are called through interfaces that carry no TLS settings: all three read it here.
const net::TlsContext* peer_tls();
/// Makes ctx what peer_tls() returns for the rest of the process; main() calls it once, before
/// any thread starts.
void set_peer_tls(std::unique_ptr<net::TlsContext> ctx);

} // namespace cluster

} // namespace syskit::cachenode

#include "auth.hpp"

#include "fs/fd.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>

namespace syskit::cachenode {

namespace {
std::array<unsigned char, 32> sha256(std::string_view s) {
    std::array<unsigned char, 32> d{};
    unsigned int len = 0;
    EVP_Digest(s.data(), s.size(), d.data(), &len, EVP_sha256(), nullptr);
    return d;
}
} // namespace

Auth::Auth(std::string_view password) : required_(!password.empty()) {
    if (required_)
        digest_ = sha256(password);
}

bool Auth::check(std::string_view candidate) const {
    if (!required_)
        return true;
    auto d = sha256(candidate);
    return CRYPTO_memcmp(d.data(), digest_.data(), d.size()) == 0;
}

bool read_token(const std::string& path, std::string& token, std::string& error) {
    constexpr std::size_t max_token = 4096;
    // One byte more than allowed, to tell a file of the largest size from a larger one.
    if (!fs::read_file(path.c_str(), token, max_token + 1)) {
        error = std::strerror(errno);
        return false;
    }
    if (token.size() > max_token) {
        error = "the token file is larger than 4096 bytes";
        return false;
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
        token.pop_back();
    if (token.empty()) {
        error = "the token file is empty";
        return false;
    }
    return true;
}

namespace cluster {

namespace {
std::unique_ptr<net::TlsContext> peer_context;
} // namespace

const net::TlsContext* peer_tls() { return peer_context.get(); }

void set_peer_tls(std::unique_ptr<net::TlsContext> ctx) { peer_context = std::move(ctx); }

} // namespace cluster

} // namespace syskit::cachenode

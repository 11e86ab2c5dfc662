#include "auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

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

} // namespace syskit::cachenode

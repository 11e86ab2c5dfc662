// auth: the shared secret of --requirepass / --token-file, checked by RESP AUTH and HTTP
// "Authorization: Bearer".
#pragma once

#include <array>
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

} // namespace syskit::cachenode

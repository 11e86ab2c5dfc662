// secrets: recognising private keys and credential files by name and content.
#pragma once

#include <string_view>

namespace syskit::permscan {

/// The most of a file holds_private_key looks at: a PEM bundle puts the key after a few
/// certificates, never megabytes in.
inline constexpr std::size_t secret_scan_limit = 1 << 20;

/// Whether text holds a PEM private key block: a line "-----BEGIN <LABEL>-----" whose label
/// ends in "PRIVATE KEY" (PKCS#8 "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",
/// "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", ...).  text is untrusted bytes.
bool holds_private_key(std::string_view text);

/// What kind of secret a name announces, by name alone.
enum class SecretName {
    none,
    ssh_private_key, ///< id_rsa, id_ed25519, id_ecdsa, id_dsa and their _sk forms
    key_or_pem,      ///< *.key, *.pem: a secret only if holds_private_key says so
    credentials,     ///< .netrc, .pgpass
    authorized_keys, ///< authorized_keys, authorized_keys2
    ssh_dir,         ///< .ssh
};

SecretName classify_name(std::string_view name);

} // namespace syskit::permscan

#include "secrets.hpp"

namespace syskit::permscan {

bool holds_private_key(std::string_view text) {
    static constexpr std::string_view begin = "-----BEGIN ";
    static constexpr std::string_view label_end = "PRIVATE KEY-----";
    std::size_t pos = 0;
    while ((pos = text.find(begin, pos)) != std::string_view::npos) {
        std::size_t label = pos + begin.size();
        std::size_t eol = text.find('\n', label);
        std::string_view line = text.substr(label, eol == std::string_view::npos ? std::string_view::npos : eol - label);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.size() >= label_end.size() && line.substr(line.size() - label_end.size()) == label_end)
            return true;
        pos = label;
    }
    return false;
}

SecretName classify_name(std::string_view name) {
    for (std::string_view k : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
        if (name == k)
            return SecretName::ssh_private_key;
    if (name == ".netrc" || name == ".pgpass")
        return SecretName::credentials;
    if (name == "authorized_keys" || name == "authorized_keys2")
        return SecretName::authorized_keys;
    if (name == ".ssh")
        return SecretName::ssh_dir;
    auto ends = [&](std::string_view suffix) {
        return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    if (ends(".key") || ends(".pem"))
        return SecretName::key_or_pem;
    return SecretName::none;
}

} // namespace syskit::permscan

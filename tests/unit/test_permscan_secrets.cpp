#include "permscan/capability.hpp"
#include "permscan/secrets.hpp"

#include <doctest/doctest.h>

using namespace syskit::permscan;

TEST_CASE("private key blocks are recognised by their PEM label") {
    CHECK(holds_private_key("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"));
    CHECK(holds_private_key("-----BEGIN RSA PRIVATE KEY-----\r\nabc"));
    CHECK(holds_private_key("-----BEGIN OPENSSH PRIVATE KEY-----"));
    CHECK(holds_private_key("-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n"
                            "-----BEGIN EC PRIVATE KEY-----\n"));
    CHECK_FALSE(holds_private_key("-----BEGIN CERTIFICATE-----\nMIIB\n"));
    CHECK_FALSE(holds_private_key("-----BEGIN PUBLIC KEY-----\n"));
    CHECK_FALSE(holds_private_key("-----BEGIN \nPRIVATE KEY-----"));
    CHECK_FALSE(holds_private_key("PRIVATE KEY"));
    CHECK_FALSE(holds_private_key(""));
}

TEST_CASE("secret names") {
    CHECK(classify_name("id_rsa") == SecretName::ssh_private_key);
    CHECK(classify_name("id_ed25519") == SecretName::ssh_private_key);
    CHECK(classify_name("id_rsa.pub") == SecretName::none);
    CHECK(classify_name("server.key") == SecretName::key_or_pem);
    CHECK(classify_name("chain.pem") == SecretName::key_or_pem);
    CHECK(classify_name(".key") == SecretName::none);
    CHECK(classify_name(".netrc") == SecretName::credentials);
    CHECK(classify_name(".pgpass") == SecretName::credentials);
    CHECK(classify_name("authorized_keys") == SecretName::authorized_keys);
    CHECK(classify_name(".ssh") == SecretName::ssh_dir);
    CHECK(classify_name("notes.txt") == SecretName::none);
}

TEST_CASE("security.capability values decode as getcap prints them") {
    // revision 2, effective, permitted = CAP_NET_RAW (13) | CAP_NET_ADMIN (12)
    std::string v2("\x01\x00\x00\x02" "\x00\x30\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x00", 20);
    CHECK(decode_capabilities(v2) == "cap_net_admin,cap_net_raw=ep");
    // revision 3 (namespaced: a root uid follows), not effective, CAP_BPF (39) in the second word
    std::string v3("\x00\x00\x00\x03" "\x00\x00\x00\x00" "\x00\x00\x00\x00" "\x80\x00\x00\x00" "\x00\x00\x00\x00"
                   "\xe8\x03\x00\x00", 24);
    CHECK(decode_capabilities(v3) == "cap_bpf=p");
    // revision 1, inheritable only
    std::string v1("\x00\x00\x00\x01" "\x00\x00\x00\x00" "\x01\x00\x00\x00", 12);
    CHECK(decode_capabilities(v1) == "cap_chown=i");
    CHECK_FALSE(decode_capabilities(std::string("\x01\x00\x00\x02", 4)).has_value()); // short
    CHECK_FALSE(decode_capabilities(std::string(20, '\0')).has_value());                 // no revision
    CHECK_FALSE(decode_capabilities(std::string("\x02\x00\x00\x02", 4) + std::string(16, '\0')).has_value());
}

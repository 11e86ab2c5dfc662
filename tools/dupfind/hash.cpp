#include "hash.hpp"

#include <openssl/evp.h>
#include <xxhash.h>

#include <stdexcept>

namespace syskit::dupfind {

std::optional<HashKind> parse_hash(std::string_view name) {
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5})
        if (hash_name(k) == name)
            return k;
    if (name == "xxh3")
        return HashKind::xxh3;
    return std::nullopt;
}

std::string_view hash_name(HashKind kind) {
    switch (kind) {
    case HashKind::xxh3: return "xxh3-128";
    case HashKind::sha256: return "sha256";
    case HashKind::blake2b: return "blake2b";
    case HashKind::md5: return "md5";
    }
    return "xxh3-128";
}

std::size_t digest_size(HashKind kind) {
    switch (kind) {
    case HashKind::xxh3: return 16;
    case HashKind::sha256: return 32;
    case HashKind::blake2b: return 64;
    case HashKind::md5: return 16;
    }
    return 16;
}

struct Hasher::State {
    HashKind kind;
    XXH3_state_t* xxh = nullptr;
    EVP_MD_CTX* evp = nullptr;
    const EVP_MD* md = nullptr;
};

Hasher::Hasher(HashKind kind) : state_(std::make_unique<State>()) {
    state_->kind = kind;
    if (kind == HashKind::xxh3) {
        state_->xxh = XXH3_createState();
    } else {
        state_->md = kind == HashKind::sha256 ? EVP_sha256() : kind == HashKind::blake2b ? EVP_blake2b512() : EVP_md5();
        state_->evp = EVP_MD_CTX_new();
    }
    if (!state_->xxh && !state_->evp)
        throw std::bad_alloc();
    reset();
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

Hasher::~Hasher() {
    if (!state_)
        return;
    if (state_->xxh)
        XXH3_freeState(state_->xxh);
    if (state_->evp)
        EVP_MD_CTX_free(state_->evp);
}

void Hasher::reset() {
    if (state_->xxh)
        XXH3_128bits_reset(state_->xxh);
    else if (EVP_DigestInit_ex(state_->evp, state_->md, nullptr) != 1)
        throw std::runtime_error("EVP_DigestInit_ex failed");
}

void Hasher::update(const void* data, std::size_t size) {
    if (state_->xxh)
        XXH3_128bits_update(state_->xxh, data, size);
    else
        EVP_DigestUpdate(state_->evp, data, size);
}

std::string Hasher::digest() { return result().str(); }

Digest Hasher::result() {
    if (state_->xxh) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_->xxh));
        return Digest(std::string_view(reinterpret_cast<const char*>(c.digest), sizeof c.digest));
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(state_->evp, out, &n);
    return Digest(std::string_view(reinterpret_cast<const char*>(out), n));
}

std::string to_hex(std::string_view bytes) {
    static const char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

} // namespace syskit::dupfind

// hash: content digests, XXH3-128 by default and the OpenSSL EVP digests on request.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace syskit::dupfind {

enum class HashKind { xxh3, sha256, blake2b, md5 };

std::optional<HashKind> parse_hash(std::string_view name);
/// The name --hash takes and JSON output shows: "xxh3-128", "sha256", "blake2b", "md5".
std::string_view hash_name(HashKind kind);
/// The size in bytes of kind's digests: 16 for xxh3-128 and md5, 32 for sha256, 64 for blake2b.
std::size_t digest_size(HashKind kind);

/// A streaming digest; one per thread, reused from file to file.
class Hasher {
public:
    explicit Hasher(HashKind kind);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;

    void reset();
    void update(const void* data, std::size_t size);
    /// The digest of what was fed since reset(), as raw bytes.
    std::string digest();

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Lower-case hexadecimal of raw bytes.
std::string to_hex(std::string_view bytes);

} // namespace syskit::dupfind

// hash: content digests, XXH3-128 by default and the OpenSSL EVP digests on request.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
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

/// A digest's raw bytes, held inline: the finder keeps one or two per file, and a
/// std::string of 16 bytes or more costs an allocation each time it is made or copied.
class Digest {
public:
    static constexpr std::size_t max_size = 64; ///< blake2b's

    Digest() = default;
    /// The first max_size bytes of bytes at most.
    explicit Digest(std::string_view bytes) : size_(static_cast<std::uint8_t>(std::min(bytes.size(), max_size))) {
        std::memcpy(bytes_.data(), bytes.data(), size_);
    }
    std::string_view view() const { return {bytes_.data(), size_}; }
    std::string str() const { return std::string(view()); }
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    bool operator==(const Digest& o) const { return view() == o.view(); }
    bool operator<(const Digest& o) const { return view() < o.view(); }

private:
    std::array<char, max_size> bytes_;
    std::uint8_t size_ = 0;
};

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
    /// The same, held inline.
    Digest result();

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Lower-case hexadecimal of raw bytes.
std::string to_hex(std::string_view bytes);

} // namespace syskit::dupfind

// Parsing an untrusted dupfind cache file (~/.cache/syskit/dupfind.cache, which anything
// running as the user can write): whatever the bytes, parse either refuses them with a
// reason or gives records that serialize back to exactly the same bytes.  The checksum and
// body size are filled in here, so the fuzzer reaches the records rather than stopping at a
// checksum it cannot guess; the input as it came is parsed too.  Every record of a file
// parsed is found again, by a search from the start and by one going on from the last
// record's place, and its key passes the filter.
#include "dupfind/cache.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using syskit::dupfind::CacheKey;
using syskit::dupfind::HashKind;

/// The little-endian number of bytes bytes at p in b (the layout of cache.hpp).
std::uint64_t le(const std::string& b, std::size_t p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(b[p + static_cast<std::size_t>(i)])} << (8 * i);
    return v;
}

void find_every_record(const syskit::dupfind::HashCache& cache, const std::string& b) {
    std::size_t p = 32, from = 0;
    for (std::uint64_t i = 0, n = le(b, 16, 8); i < n; ++i) {
        const CacheKey key{le(b, p, 8),
                           le(b, p + 8, 8),
                           le(b, p + 16, 8),
                           static_cast<std::int64_t>(le(b, p + 24, 8)),
                           static_cast<std::uint32_t>(le(b, p + 32, 4)),
                           static_cast<std::int64_t>(le(b, p + 36, 8)),
                           static_cast<std::uint32_t>(le(b, p + 44, 4))};
        const auto kind = static_cast<HashKind>(le(b, p + 56, 1) - 1);
        if (!cache.view(key, kind) || !cache.view(key, kind, from) || !cache.may_hold(key))
            std::abort();
        p += 59 + le(b, p + 57, 1) + le(b, p + 58, 1);
    }
}

void check(const std::string& bytes) {
    std::string why;
    auto cache = syskit::dupfind::HashCache::parse(bytes, why);
    if (!cache) {
        if (why.empty())
            std::abort();
        return;
    }
    find_every_record(*cache, bytes);
    if (cache->serialize() != bytes)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    check(in);
    constexpr std::size_t header = 32;
    if (in.size() >= header) {
        std::uint64_t body = in.size() - header;
        for (int i = 0; i < 8; ++i)
            in[header - 8 + i] = static_cast<char>(body >> (8 * i));
    }
    std::uint64_t sum = XXH3_64bits(in.data(), in.size());
    for (int i = 0; i < 8; ++i)
        in += static_cast<char>(sum >> (8 * i));
    check(in);
    return 0;
}

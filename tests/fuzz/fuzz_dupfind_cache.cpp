// Parsing an untrusted dupfind cache file (~/.cache/syskit/dupfind.cache, which anything
// running as the user can write): whatever the bytes, parse either refuses them with a
// reason or gives records that serialize back to exactly the same bytes.  The checksum and
// body size are filled in here, so the fuzzer reaches the records rather than stopping at a
// checksum it cannot guess; the input as it came is parsed too.
#include "dupfind/cache.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void check(const std::string& bytes) {
    std::string why;
    auto cache = syskit::dupfind::HashCache::parse(bytes, why);
    if (!cache) {
        if (why.empty())
            std::abort();
        return;
    }
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

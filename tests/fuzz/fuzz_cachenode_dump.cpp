// cachenode's DUMP payload decoder (dump.hpp) on untrusted bytes: RESTORE takes them from any
// client, MIGRATE from another node.  Whatever it accepts must encode back to the same bytes,
// and nothing may crash or allocate in proportion to a length the payload claims.
#include "cachenode/dump.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace syskit::cachenode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view payload(reinterpret_cast<const char*>(data), size);
    Value v;
    if (dump::decode(payload, v) != dump::Decode::ok)
        return 0;
    std::string again;
    dump::encode(v, again);
    if (again != payload)
        std::abort();
    return 0;
}

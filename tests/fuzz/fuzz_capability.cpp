// Decoding an untrusted security.capability attribute.
#include "permscan/capability.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto text = syskit::permscan::decode_capabilities(in);
    if (text && size != 12 && size != 20 && size != 24)
        std::abort();
    return 0;
}

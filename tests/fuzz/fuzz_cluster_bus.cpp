// cachenode's cluster bus frames (bus_proto.hpp) from anyone on the network: decode() must
// never crash or read past its input, must consume only whole frames it was given, and a frame
// it accepts must encode back to the same bytes.
#include "cachenode/bus_proto.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::cachenode::cluster;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte chooses the secret: none, or a fixed one, so that both paths are reached.
    std::string_view secret = (data[0] & 1) ? "fuzz secret" : "";
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::size_t pos = 0;
    while (pos < in.size()) {
        Message m;
        std::size_t used = 0;
        std::string why;
        Decoded d = decode(in.substr(pos), secret, m, used, why);
        if (d != Decoded::complete)
            break;
        if (used == 0 || used > in.size() - pos)
            std::abort();
        if (encode(m, secret) != in.substr(pos, used))
            std::abort();
        pos += used;
    }
    return 0;
}

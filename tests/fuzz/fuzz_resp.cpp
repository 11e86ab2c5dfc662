// cachenode's RESP side on untrusted bytes: the request parser and every command, fed the way a
// connection feeds them (in pieces, with the unconsumed rest given again), must never crash,
// consume more than it was given, or grow without bound.
#include "cachenode_world.hpp"
#include "cachenode/eviction.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::cachenode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::World w;
    if (size == 0)
        return 0;
    // The first byte chooses the read size, so requests are cut at every possible place.
    std::size_t chunk = data[0] % 64 + 1;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    RespSession session(w.shared, w.ws);
    std::string in, out;
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        in.append(input.substr(pos, chunk));
        std::size_t consumed = 0;
        auto after = session.on_data(in, consumed, out);
        if (consumed > in.size())
            std::abort();
        in.erase(0, consumed);
        // Unconsumed input never exceeds one request's limit plus one read.
        if (in.size() > w.cfg.max_request + chunk + 64 * 1024)
            std::abort();
        if (after == syskit::net::After::close)
            break;
        out.clear();
    }
    return 0;
}

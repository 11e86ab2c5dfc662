// cachenode's HTTP side on untrusted bytes: http-parser, the limits around it and every route,
// fed in pieces as a connection feeds them, must never crash or consume more than given.
#include "cachenode_world.hpp"
#include "cachenode/http_api.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::cachenode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::World w;
    if (size == 0)
        return 0;
    std::size_t chunk = data[0] % 64 + 1;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    HttpSession session(w.shared, w.ws);
    std::string in, out;
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        in.append(input.substr(pos, chunk));
        std::size_t consumed = 0;
        auto after = session.on_data(in, consumed, out);
        if (consumed > in.size())
            std::abort();
        in.erase(0, consumed);
        if (in.size() > chunk)
            std::abort(); // the HTTP session keeps its own state: it always takes everything
        if (after == syskit::net::After::close)
            break;
        out.clear();
    }
    return 0;
}

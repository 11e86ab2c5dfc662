// cachenode's HTTP side on untrusted bytes: http-parser, the limits around it and every route,
// fed in pieces as a connection feeds them, must never crash or consume more than given.
#include "commands.hpp"
#include "http_api.hpp"
#include "stats.hpp"
#include "store.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::cachenode;

namespace {

struct World {
    Config cfg;
    Store store;
    Stats stats;
    Auth auth;
    Shared shared;
    WorkerStats& ws;

    static Config make_config() {
        Config c;
        c.max_memory = 1 << 20;
        c.max_value = 4096;
        c.max_key = 256;
        c.max_request = 16384;
        return c;
    }
    static StoreConfig store_config(const Config& c) {
        StoreConfig s;
        s.max_memory = c.max_memory;
        s.max_value = c.max_value;
        s.shards = 4;
        return s;
    }
    World()
        : cfg(make_config()), store(store_config(cfg)), stats(cfg, store), auth(""),
          shared{store, cfg, stats, auth}, ws(stats.add_worker()) {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World w;
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

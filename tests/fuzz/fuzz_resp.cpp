// cachenode's RESP side on untrusted bytes: the request parser and every command, fed the way a
// connection feeds them (in pieces, with the unconsumed rest given again), must never crash,
// consume more than it was given, or grow without bound.
#include "commands.hpp"
#include "eviction.hpp"
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

// The cachenode a fuzz target (or a unit test of the sessions) feeds: a small store, limits
// low enough for inputs to reach them, one worker's statistics.
#pragma once

#include "cachenode/commands.hpp"
#include "cachenode/stats.hpp"
#include "cachenode/store.hpp"

namespace syskit::cachenode::fuzz {

struct World {
    Config cfg;
    Store store;
    Stats stats;
    Auth auth;
    Shared shared;
    WorkerStats& ws;

    static Config make_config() {
        Config c;
        c.store.max_memory = 1 << 20;
        c.store.max_value = 4096;
        c.store.shards = 4;
        c.max_key = 256;
        c.max_request = 16384;
        return c;
    }
    /// password: empty for none, as --requirepass takes it.
    explicit World(std::string_view password = {})
        : cfg(make_config()), store(cfg.store), stats(cfg, store), auth(password), shared{store, cfg, stats, auth, {}, {1}},
          ws(stats.add_worker()) {}
};

} // namespace syskit::cachenode::fuzz

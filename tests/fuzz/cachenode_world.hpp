// The cachenode a fuzz target feeds: a small store, limits low enough for inputs to reach
// them, one worker's statistics.
#pragma once

#include "commands.hpp"
#include "stats.hpp"
#include "store.hpp"

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

} // namespace syskit::cachenode::fuzz

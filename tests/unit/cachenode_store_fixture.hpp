// cachenode_store_fixture: what cachenode's store and hash tests share: a clock the test sets,
// a store configuration that reads it, and numbered names.
#pragma once

#include "cachenode/store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace syskit::cachenode::store_fixture {

/// The store's clock in milliseconds: tests set it to move time.
inline std::int64_t g_now = 1000;
inline std::int64_t test_clock() { return g_now; }

/// A store configuration on test_clock.
inline StoreConfig config(Policy p = Policy::sieve, std::size_t max_memory = std::size_t{64} << 20,
                          unsigned shards = 4) {
    StoreConfig c;
    c.policy = p;
    c.max_memory = max_memory;
    c.shards = shards;
    c.clock = test_clock;
    return c;
}

/// prefix followed by n: a key or field name.  (Not "k" + std::to_string(n), which makes g++ 12
/// warn falsely, -Wrestrict.)
inline std::string name(std::string_view prefix, long n) {
    std::string r(prefix);
    r += std::to_string(n);
    return r;
}

} // namespace syskit::cachenode::store_fixture

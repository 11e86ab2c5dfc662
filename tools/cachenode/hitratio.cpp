// cachenode-hitratio: replays a Zipf trace against the store with each eviction policy and
// prints the hit ratios; scripts/bench/cachenode.sh runs it to pick and check the default.
#include "cli/cli.hpp"
#include "eviction.hpp"
#include "store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::cachenode;

namespace {

/// n ranks drawn with P(rank i) proportional to 1/i^alpha, i from 1.
std::vector<std::uint32_t> zipf_trace(std::uint32_t keys, double alpha, std::size_t requests, std::uint64_t seed) {
    std::vector<double> cdf(keys);
    double sum = 0;
    for (std::uint32_t i = 0; i < keys; ++i) {
        sum += 1.0 / std::pow(static_cast<double>(i + 1), alpha);
        cdf[i] = sum;
    }
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, sum);
    std::vector<std::uint32_t> trace(requests);
    for (auto& r : trace)
        r = static_cast<std::uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
    return trace;
}

struct Result {
    double hit_ratio;
    std::uint64_t keys;
};

Result replay(const std::vector<std::uint32_t>& trace, Policy policy, std::size_t max_memory, std::size_t value_size) {
    StoreConfig cfg;
    cfg.max_memory = max_memory;
    cfg.policy = policy;
    cfg.max_value = value_size;
    Store store(cfg);
    std::string value(value_size, 'v');
    std::uint64_t hits = 0;
    char key[16];
    for (std::uint32_t r : trace) {
        auto k = std::string_view(key, static_cast<std::size_t>(fmt::format_to(key, "key:{:07}", r) - key));
        if (store.get(k, [](std::string_view) {}))
            ++hits;
        else
            store.set(k, value);
    }
    return {static_cast<double>(hits) / static_cast<double>(trace.size()), store.size()};
}

} // namespace

int main(int argc, char** argv) {
    cli::Tool tool("cachenode-hitratio", "cachenode-hitratio - hit ratio of each eviction policy on a Zipf trace");
    auto& app = tool.app();
    std::uint32_t keys = 1000000;
    std::size_t requests = 10000000, value_size = 100;
    double alpha = 0.99, percent = 10;
    std::uint64_t seed = 1;
    std::vector<std::string> policies{"sieve", "s3fifo", "lru"};
    app.add_option("--keys", keys, "Distinct keys in the trace")->check(CLI::Range(1u, 100000000u));
    app.add_option("--requests", requests, "Length of the trace")->check(CLI::PositiveNumber);
    app.add_option("--alpha", alpha, "Zipf exponent")->check(CLI::Range(0.0, 5.0));
    app.add_option("--cache-percent", percent, "Cache size, in percent of the keys")->check(CLI::Range(0.01, 100.0));
    app.add_option("--value-size", value_size, "Bytes per value")->check(CLI::Range(1, 1 << 20));
    app.add_option("--seed", seed, "Random seed of the trace");
    app.add_option("--policy", policies, "Policies to replay")->check(CLI::IsMember({"s3fifo", "sieve", "lru"}));
    if (auto rc = tool.parse(argc, argv))
        return *rc;

    auto trace = zipf_trace(keys, alpha, requests, seed);
    // Room for percent% of the keys: each entry's heap charge plus about 16 bytes of table and
    // policy bookkeeping per entry.
    std::size_t per_entry = Entry::charge(Entry::alloc_size(11, value_size, false)) + 16;
    auto room = static_cast<std::size_t>(static_cast<double>(keys) * percent / 100.0);
    std::size_t max_memory = room * per_entry;
    fmt::print("trace: zipf {} over {} keys, {} requests; cache {} bytes (~{} entries, {}%)\n", alpha, keys, requests,
               max_memory, room, percent);
    for (const auto& name : policies) {
        Result r = replay(trace, *parse_policy(name), max_memory, value_size);
        fmt::print("{:<8} hit ratio {:.4f}  ({} keys resident)\n", name, r.hit_ratio, r.keys);
    }
    return 0;
}

// cluster_common: the small helpers the cluster's modules (bus, cluster, migrate, repl) share.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace syskit::cachenode::cluster {

/// Whether a and b are the same name but for the case of ASCII letters: command names,
/// subcommands and options, which Redis matches without regard to case.
inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

/// The wall clock in milliseconds since the epoch: the times nodes show and exchange (ping
/// times, pauses, when a node was met or forgotten), which mean the same on every node.
inline std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace syskit::cachenode::cluster

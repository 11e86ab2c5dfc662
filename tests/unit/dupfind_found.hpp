// dupfind_found: what the tests of dupfind's modules share: the finder run over a tree with
// its errors collected, and content to fill files with.
#pragma once

#include "dupfind/act.hpp"
#include "dupfind/finder.hpp"
#include "dupfind/hash.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace dupfind_test {

using namespace syskit;
using namespace syskit::dupfind;

/// The hex digest of data with the hash kind.
inline std::string hex_digest(HashKind kind, std::string_view data) {
    Hasher h(kind);
    h.update(data.data(), data.size());
    return to_hex(h.digest());
}

/// n pseudo-random bytes, the same for the same seed.
inline std::string noise(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng());
    return s;
}

/// lstat(2) of path, which must succeed.
inline struct stat lstat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

/// A finder run over one root, with its errors collected.
struct Found {
    std::vector<std::string> roots;
    HeldRoots held;
    std::vector<Group> groups;
    std::vector<std::pair<std::string, int>> errors;

    explicit Found(const std::string& root, FindOptions opt = {})
        : roots{root}, held(hold_roots(roots, opt.walk.flags & fs::walk_follow)) {
        opt.walk.roots = roots;
        opt.walk.threads = 2;
        std::mutex mu;
        FindCounters counters;
        groups = find_duplicates(
            opt,
            [&](std::string_view path, int err) {
                std::lock_guard lock(mu);
                errors.emplace_back(std::string(path), err);
            },
            &counters);
        CHECK(counters.groups.load() == groups.size());
    }

    /// The group holding a file with the name path.
    const Group& group_of(const std::string& path) const {
        for (const Group& g : groups)
            for (const File& f : g.files)
                for (const Name& n : f.names)
                    if (std::string_view(n.path) == path)
                        return g;
        FAIL("no group holds " << path);
        throw std::logic_error("unreachable");
    }

    /// The first name of each file of each group.
    std::vector<std::vector<std::string>> paths() const {
        std::vector<std::vector<std::string>> out;
        for (const Group& g : groups) {
            out.emplace_back();
            for (const File& f : g.files)
                out.back().emplace_back(f.names[0].path);
        }
        return out;
    }

    ActContext context(ActionKind kind) const { return ActContext{roots, held, kind}; }
};

} // namespace dupfind_test

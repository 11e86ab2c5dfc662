// dupfind's keep: --keep's rules, and the order they give a group.
#include "dupfind/keep.hpp"

#include <doctest/doctest.h>

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::dupfind;

namespace {

/// A file for order_group: one name per path, in the given root.
File file(std::vector<std::string> paths, std::int64_t mtime, std::uint32_t nsec = 0, std::uint32_t root = 0) {
    File f;
    static ino_t ino = 1000;
    f.id = {1, ++ino};
    f.size = 10;
    f.mtime_sec = mtime;
    f.mtime_nsec = nsec;
    for (auto& p : paths) {
        std::size_t slash = p.rfind('/');
        f.names.push_back(Name{std::pmr::string(p), root, static_cast<std::uint32_t>(slash == std::string::npos ? 0 : slash + 1)});
    }
    return f;
}

std::vector<std::string> order(const Group& g) {
    std::vector<std::string> out;
    for (const File& f : g.files)
        out.emplace_back(f.names[0].path);
    return out;
}

} // namespace

TEST_CASE("parse_keep: the four rules, and anything else is a glob") {
    CHECK(parse_keep("first").rule == KeepRule::first);
    CHECK(parse_keep("oldest").rule == KeepRule::oldest);
    CHECK(parse_keep("newest").rule == KeepRule::newest);
    CHECK(parse_keep("shortest-path").rule == KeepRule::shortest_path);
    Keep g = parse_keep("*.jpg");
    CHECK(g.rule == KeepRule::glob);
    CHECK(g.glob.matches("/x/a.jpg", "a.jpg"));
    CHECK(parse_keep("Oldest").rule == KeepRule::glob);
}

TEST_CASE("order_group: the kept file first, ties in root then path order") {
    auto make = [] {
        Group g;
        g.size = 10;
        g.files.push_back(file({"r/b/long-name"}, 200));
        g.files.push_back(file({"r/a"}, 300));
        g.files.push_back(file({"r/c/x"}, 100));
        g.files.push_back(file({"q/z"}, 200, 0, 1)); // second root
        return g;
    };
    Group g = make();
    order_group(g, parse_keep("first"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "r/c/x", "q/z"});
    g = make();
    order_group(g, parse_keep("oldest"));
    CHECK(order(g) == std::vector<std::string>{"r/c/x", "r/b/long-name", "q/z", "r/a"});
    g = make();
    order_group(g, parse_keep("newest"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "q/z", "r/c/x"});
    g = make();
    order_group(g, parse_keep("shortest-path"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "q/z", "r/c/x", "r/b/long-name"});
    g = make();
    order_group(g, parse_keep("x"));
    CHECK(order(g) == std::vector<std::string>{"r/c/x", "r/a", "r/b/long-name", "q/z"});
    g = make();
    order_group(g, parse_keep("q/*"));
    CHECK(order(g) == std::vector<std::string>{"q/z", "r/a", "r/b/long-name", "r/c/x"});
    g = make();
    order_group(g, parse_keep("nothing-matches"));
    CHECK(order(g) == std::vector<std::string>{"r/a", "r/b/long-name", "r/c/x", "q/z"});
}

TEST_CASE("order_group: nanoseconds decide between equal seconds") {
    Group g;
    g.files.push_back(file({"a"}, 100, 900));
    g.files.push_back(file({"b"}, 100, 5));
    g.files.push_back(file({"c"}, 99, 999999999));
    order_group(g, parse_keep("oldest"));
    CHECK(order(g) == std::vector<std::string>{"c", "b", "a"});
    order_group(g, parse_keep("newest"));
    CHECK(order(g) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("order_group: a glob matching any name of a file with several keeps it, names untouched") {
    Group g;
    g.files.push_back(file({"d/a", "d/z-keep"}, 1));
    g.files.push_back(file({"d/b"}, 1));
    order_group(g, parse_keep("b"));
    CHECK(order(g) == std::vector<std::string>{"d/b", "d/a"});
    order_group(g, parse_keep("*-keep"));
    CHECK(order(g) == std::vector<std::string>{"d/a", "d/b"});
    CHECK(g.files[0].names[1].path == "d/z-keep");
}

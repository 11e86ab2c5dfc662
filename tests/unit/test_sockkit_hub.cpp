// sockkit/hub: joins with and without a name, history replay, renames, messages, leaves,
// cleaning of control characters, and members dropped while a broadcast goes on.
#include "sockkit/hub.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using namespace syskit::sockkit;

namespace {
struct Room {
    std::map<std::uint64_t, std::vector<std::string>> got;
    std::vector<std::uint64_t> closed;
    Hub hub;
    explicit Room(std::size_t history)
        : hub(
              history, [this](std::uint64_t id, std::string_view line) { got[id].emplace_back(line); },
              [this](std::uint64_t id) { closed.push_back(id); }) {}
};
using Lines = std::vector<std::string>;
} // namespace

TEST_CASE("sockkit hub: names, joins, messages, history and leaves") {
    Room r(2);
    r.hub.connect(1, "uid 1 gid 1 pid 10", 0);
    r.hub.line(1, "/name ann");
    CHECK(r.got[1] == Lines{"* you are ann; here: ann"});
    r.hub.line(1, "one");
    r.hub.line(1, "two");
    r.hub.line(1, "three");
    CHECK(r.hub.history() == std::deque<std::string>{"ann: two", "ann: three"});

    // Silent for the grace time: joins as a guest, after the history.
    r.hub.connect(2, "uid 2 gid 2 pid 20", 1000);
    r.hub.tick(1000 + Hub::grace_ms - 1);
    CHECK(r.got[2].empty());
    r.hub.tick(1000 + Hub::grace_ms);
    CHECK(r.got[2] == Lines{"ann: two", "ann: three", "* you are guest-2; here: ann, guest-2"});
    CHECK(r.got[1].back() == "* guest-2 joined (uid 2 gid 2 pid 20)");

    r.hub.line(2, "/name ann");
    CHECK(r.got[2].back() == "! the name ann is taken");
    r.hub.line(2, "/name bob");
    CHECK(r.got[1].back() == "* guest-2 is now bob");
    CHECK(r.got[2].back() == "* guest-2 is now bob");
    r.hub.line(2, "hi\x1b[2J\tthere\x7f");
    CHECK(r.got[1].back() == "bob: hi?[2J\tthere?");
    CHECK(r.got[2].back() == "* guest-2 is now bob"); // no echo to the sender
    r.hub.line(1, "/who");
    CHECK(r.got[1].back() == "* here: ann, bob");

    // A first line that is a message joins as a guest and is said.
    r.hub.connect(3, "127.0.0.1:5", 2000);
    r.hub.line(3, "hello");
    CHECK(r.got[3].back() == "* you are guest-3; here: ann, bob, guest-3");
    CHECK(r.got[1].back() == "guest-3: hello");

    r.hub.line(3, "/quit");
    CHECK(r.closed == std::vector<std::uint64_t>{3});
    CHECK(r.got[1].back() == "* guest-3 left");
    r.hub.leave(2, "too slow");
    CHECK(r.got[1].back() == "* bob left (too slow)");
    CHECK(r.hub.members() == 1);
    // A connection that leaves before joining is never announced.
    r.hub.connect(4, "x", 3000);
    r.hub.leave(4, "");
    r.hub.tick(10000);
    CHECK(r.got[1].back() == "* bob left (too slow)");
    CHECK(r.got.count(4) == 0);
}

TEST_CASE("sockkit hub: a member dropped by a send during a broadcast is skipped, and its leave announced") {
    Hub* hub = nullptr;
    std::map<std::uint64_t, std::vector<std::string>> got;
    Hub h(
        10,
        [&](std::uint64_t id, std::string_view line) {
            got[id].emplace_back(line);
            // Member 2's queue is full: any send drops it.
            if (id == 2 && got[id].size() > 1)
                hub->leave(2, "too slow");
        },
        [](std::uint64_t) {});
    hub = &h;
    for (std::uint64_t id = 1; id <= 3; ++id) {
        h.connect(id, "x", 0);
        h.line(id, "/name m" + std::to_string(id));
    }
    h.line(1, "hello");
    CHECK(h.members() == 2);
    CHECK(got[3] == Lines{"* you are m3; here: m1, m2, m3", "* m2 left (too slow)", "m1: hello"});
    CHECK(got[1].back() == "* m2 left (too slow)");
}

TEST_CASE("sockkit hub: history 0 keeps nothing") {
    Room r(0);
    r.hub.connect(1, "x", 0);
    r.hub.line(1, "hi");
    CHECK(r.hub.history().empty());
}

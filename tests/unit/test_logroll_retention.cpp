// logroll/retention: which rotated files --keep, --max-age and --max-total delete.
#include "logroll/names.hpp"
#include "logroll/retention.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::logroll;

namespace {
Candidate cand(std::string name, std::int64_t mtime, std::uint64_t size = 100) {
    auto r = parse_rotated("a", Scheme::timestamp, name);
    REQUIRE(r);
    return {*r, size, mtime};
}
std::vector<std::string> names(const std::vector<Candidate>& v) {
    std::vector<std::string> out;
    for (const auto& c : v)
        out.push_back(c.rotated.name);
    return out;
}
} // namespace

TEST_CASE("logroll retention deletes the oldest rotations first") {
    std::vector<Candidate> all = {
        cand("a.20240101T000000Z.2", 30), cand("a.20240101T000000Z", 10), cand("a.20240102T000000Z.zst", 40),
        cand("a.20240101T000000Z.1", 20),
    };
    Retention keep2;
    keep2.keep = 2;
    CHECK(names(select_expired(all, keep2, 100)) ==
          std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});
    Retention none;
    CHECK(select_expired(all, none, 100).empty());

    Retention age;
    age.max_age = 75; // now 100: mtime below 25 goes
    CHECK(names(select_expired(all, age, 100)) == std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});

    Retention total;
    total.max_total = 250; // newest first: 100, 200, then 300 > 250
    CHECK(names(select_expired(all, total, 100)) == std::vector<std::string>{"a.20240101T000000Z", "a.20240101T000000Z.1"});
    total.max_total = 99;
    CHECK(select_expired(all, total, 100).size() == 4);
}

TEST_CASE("logroll retention counts a rotation and its compressed copy as one") {
    std::vector<Candidate> all = {cand("a.20240101T000000Z", 10), cand("a.20240101T000000Z.gz", 11),
                                  cand("a.20240102T000000Z", 20)};
    Retention keep1;
    keep1.keep = 1;
    auto gone = names(select_expired(all, keep1, 100));
    CHECK(gone == std::vector<std::string>{"a.20240101T000000Z.gz", "a.20240101T000000Z"});
}

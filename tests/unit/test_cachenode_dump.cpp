// cachenode's DUMP payloads (dump.hpp): round trips, and the damage RESTORE must refuse.
#include "cachenode/dump.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::cachenode;

TEST_CASE("dump: strings and hashes come back as they went in") {
    Value s;
    s.str = std::string("bin\0\xff", 5);
    std::string p;
    dump::encode(s, p);
    Value back;
    REQUIRE(dump::decode(p, back) == dump::Decode::ok);
    CHECK(back.type == Type::string);
    CHECK(back.str == s.str);

    Value h;
    h.type = Type::hash;
    h.fields = {{"a", "1"}, {"", std::string(300, 'x')}, {std::string(200, 'f'), ""}};
    p.clear();
    dump::encode(h, p);
    REQUIRE(dump::decode(p, back) == dump::Decode::ok);
    CHECK(back.type == Type::hash);
    CHECK(back.fields == h.fields);
}

TEST_CASE("dump: a damaged, foreign or lying payload is refused") {
    Value s;
    s.str = "hello";
    std::string p;
    dump::encode(s, p);
    Value out;
    for (std::size_t i = 0; i < p.size(); ++i) {
        std::string bad = p;
        bad[i] = static_cast<char>(bad[i] ^ 0x40);
        CHECK(dump::decode(bad, out) != dump::Decode::ok);
    }
    CHECK(dump::decode(p.substr(0, p.size() - 1), out) == dump::Decode::bad_checksum);
    CHECK(dump::decode("", out) == dump::Decode::bad_checksum);
    // Redis's own payload of "hello": its RDB encoding and CRC-64, not ours.
    CHECK(dump::decode(std::string("\x00\x05hello\x0a\x00\xb3\x80\x8e\xba\x31\xb2\x43\xbb", 16), out) ==
          dump::Decode::bad_checksum);
}

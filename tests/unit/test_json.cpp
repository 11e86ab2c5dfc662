#include "out/json.hpp"

#include "../common/json_string_decode.hpp"

#include <doctest/doctest.h>

using syskit::out::append_json_string;
using syskit::out::Object;
using syskit::test::decode_json_string;

static std::string esc(std::string_view s) {
    std::string r;
    append_json_string(r, s);
    return r;
}

TEST_CASE("valid UTF-8 passes, JSON's specials are escaped") {
    CHECK(esc("plain") == "plain");
    CHECK(esc("caf\xc3\xa9 \xf0\x9f\x94\x91") == "caf\xc3\xa9 \xf0\x9f\x94\x91");
    CHECK(esc("q\"b\\") == "q\\\"b\\\\");
    CHECK(esc("a\nb\tc\r") == "a\\nb\\tc\\r");
    CHECK(esc(std::string_view("\x01\x1f\x7f", 3)) == "\\u0001\\u001f\\u007f");
    CHECK(esc(std::string_view("nul\0x", 5)) == "nul\\u0000x");
}

TEST_CASE("bytes that are not UTF-8 become lone surrogates \\udcXX") {
    CHECK(esc("bad\xff") == "bad\\udcff");
    CHECK(esc("\xc3") == "\\udcc3");                     // truncated sequence
    CHECK(esc("\xc0\xaf") == "\\udcc0\\udcaf");          // overlong '/'
    CHECK(esc("\xed\xa0\x80") == "\\udced\\udca0\\udc80"); // encoded surrogate U+D800
    CHECK(esc("\xf4\x90\x80\x80") == "\\udcf4\\udc90\\udc80\\udc80"); // above U+10FFFF
}

TEST_CASE("escaping is lossless") {
    for (std::string s : {std::string("x\xff\xfe\nname"), std::string("\xe2\x82"), std::string("\\udcff"),
                          std::string("\x80\x81"), std::string(1, '\0')}) {
        auto back = decode_json_string(esc(s));
        REQUIRE(back.has_value());
        CHECK(*back == s);
    }
}

TEST_CASE("Object builds one JSON object") {
    std::string s = Object()
                        .add("path", "a\"b")
                        .add("size", std::uint64_t{42})
                        .add("neg", std::int64_t{-1})
                        .add("ok", true)
                        .add_raw("list", "[1,2]")
                        .str();
    CHECK(s == R"({"path":"a\"b","size":42,"neg":-1,"ok":true,"list":[1,2]})");
    CHECK(Object().str() == "{}");
}

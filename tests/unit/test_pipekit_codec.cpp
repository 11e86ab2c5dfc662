// pipekit/codec: records compressed one at a time, and bad compressed input refused in words.
#include "pipekit/codec.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::pipekit;

TEST_CASE("pipekit gzip and zstd records round-trip, the state kept between records") {
    for (auto c : {Compression::gzip, Compression::zstd}) {
        Codec codec(c);
        for (std::string plain : {std::string(), std::string("hello"), std::string(100000, 'z'),
                                  std::string("bin\0ary", 7)}) {
            std::string packed, back, error;
            REQUIRE(codec.compress(plain, packed, error));
            CHECK(packed != plain);
            REQUIRE_MESSAGE(codec.decompress(packed, 1 << 20, back, error), error);
            CHECK(back == plain);
        }
    }
}

TEST_CASE("pipekit corrupt, truncated, trailing and oversized compressed records are refused") {
    for (auto c : {Compression::gzip, Compression::zstd}) {
        Codec codec(c);
        std::string packed, back, error;
        REQUIRE(codec.compress(std::string(5000, 'q') + "tail", packed, error));
        CHECK_FALSE(codec.decompress(packed.substr(0, packed.size() - 3), 1 << 20, back, error));
        CHECK(error.find("truncated") != std::string::npos);
        CHECK_FALSE(codec.decompress(packed + "junk", 1 << 20, back, error));
        CHECK(error.find("data after the end") != std::string::npos);
        CHECK_FALSE(codec.decompress(packed, 1000, back, error));
        CHECK(error == "decompresses to more than 1000 bytes (--max-frame)");
        CHECK_FALSE(codec.decompress("not compressed at all", 1 << 20, back, error));
        CHECK(error.find("corrupt") == 0);
        // The codec still works after a failure.
        REQUIRE(codec.decompress(packed, 1 << 20, back, error));
        CHECK(back.size() == 5004);
    }
}

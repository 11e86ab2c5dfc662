// dupfind's hash: the four content hashes, streamed.
#include "dupfind_found.hpp"

#include "dupfind/hash.hpp"

#include <doctest/doctest.h>

using namespace dupfind_test;

TEST_CASE("parse_hash and hash_name name the same four hashes") {
    CHECK(parse_hash("xxh3-128") == HashKind::xxh3);
    CHECK(parse_hash("xxh3") == HashKind::xxh3);
    CHECK(parse_hash("sha256") == HashKind::sha256);
    CHECK(parse_hash("blake2b") == HashKind::blake2b);
    CHECK(parse_hash("md5") == HashKind::md5);
    for (const char* bad : {"", "sha1", "SHA256", "md5 ", "xxh64", "blake2s", "xxh3-64"}) {
        CAPTURE(std::string(bad));
        CHECK_FALSE(parse_hash(bad).has_value());
    }
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5})
        CHECK(parse_hash(hash_name(k)) == k);
    CHECK(hash_name(HashKind::xxh3) == "xxh3-128");
}

TEST_CASE("Hasher gives the known digests") {
    CHECK(hex_digest(HashKind::md5, "abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(hex_digest(HashKind::md5, "") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(hex_digest(HashKind::sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_digest(HashKind::sha256, "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_digest(HashKind::blake2b, "abc") ==
          "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
          "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
    // XXH3-128 of nothing, canonical (big-endian) form, as xxhsum -H2 prints it.
    CHECK(hex_digest(HashKind::xxh3, "") == "99aa06d3014798d86001c324468d497f");
    CHECK(hex_digest(HashKind::xxh3, "abc").size() == 32);
}

TEST_CASE("Hasher streams, and reset starts over") {
    const std::string data = noise(100000, 1);
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5}) {
        CAPTURE(hash_name(k));
        Hasher h(k);
        h.update("garbage", 7);
        h.reset();
        for (std::size_t i = 0; i < data.size(); i += 7777)
            h.update(data.data() + i, std::min<std::size_t>(7777, data.size() - i));
        std::string streamed = h.digest();
        CHECK(to_hex(streamed) == hex_digest(k, data));
        h.reset();
        h.update(data.data(), data.size() - 1);
        CHECK(h.digest() != streamed);
        Hasher moved = std::move(h);
        moved.reset();
        moved.update(data.data(), data.size());
        CHECK(moved.digest() == streamed);
    }
}

TEST_CASE("Hasher::result is digest held inline, and Digests compare as their bytes") {
    for (HashKind k : {HashKind::xxh3, HashKind::sha256, HashKind::blake2b, HashKind::md5}) {
        CAPTURE(hash_name(k));
        Hasher h(k);
        h.update("abc", 3);
        const Digest d = h.result();
        CHECK(d.size() == digest_size(k));
        CHECK(to_hex(d.view()) == hex_digest(k, "abc"));
        CHECK(d.str() == std::string(d.view()));
    }
    CHECK(Digest().empty());
    CHECK(Digest("ab") == Digest(std::string("ab")));
    CHECK(Digest("ab") != Digest("ac"));
    CHECK(Digest("ab") < Digest("ac"));
    CHECK(Digest("a") < Digest("ab"));
    CHECK(Digest(std::string(100, 'x')).size() == Digest::max_size); // no more than it holds
}

TEST_CASE("to_hex") {
    CHECK(to_hex("") == "");
    CHECK(to_hex(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
}

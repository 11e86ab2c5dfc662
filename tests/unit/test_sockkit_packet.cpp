// sockkit/packet: the datagrams of udp send/recv, written and parsed back, and refused when
// malformed; and the batches (lib/net/udp) they travel in.
#include "sockkit/packet.hpp"

#include "fs/fd.hpp"
#include "net/udp.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <cstring>
#include <string>

using namespace syskit::sockkit;

TEST_CASE("sockkit udp packets round-trip") {
    std::string why;
    const std::string digest(32, '\xab');
    auto p = udp::parse(udp::hello(7, 1000, 100, digest), why);
    REQUIRE(p);
    CHECK(p->type == udp::Type::hello);
    CHECK(p->id == 7);
    CHECK(p->size == 1000);
    CHECK(p->chunk == 100);
    CHECK(p->sha256 == digest);
    std::string d = udp::data_header(7, 9) + "payload";
    p = udp::parse(d, why);
    REQUIRE(p);
    CHECK(p->seq == 9);
    CHECK(p->payload == "payload");
    p = udp::parse(udp::ack(7, 3, {{5, 6}, {8, 10}}), why);
    REQUIRE(p);
    CHECK(p->cumulative == 3);
    CHECK(p->ranges == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{5, 6}, {8, 10}});
    p = udp::parse(udp::done(7, 1), why);
    REQUIRE(p);
    CHECK(p->status == 1);
    CHECK(udp::parse(udp::reset(7), why)->type == udp::Type::reset);
    CHECK(udp::parse(udp::busy(7), why)->type == udp::Type::busy);
    CHECK(udp::parse(udp::bye(7), why)->type == udp::Type::bye);
    CHECK(udp::chunks(0, 10) == 0);
    CHECK(udp::chunks(10, 10) == 1);
    CHECK(udp::chunks(11, 10) == 2);
}

TEST_CASE("sockkit udp packets: malformed and forged ones are refused") {
    std::string why;
    CHECK_FALSE(udp::parse("", why));
    CHECK_FALSE(udp::parse("GET / HTTP/1.1\r\n\r\n", why));
    CHECK(why == "not a sockkit datagram");
    std::string v2 = udp::reset(1);
    v2[3] = 2;
    CHECK_FALSE(udp::parse(v2, why));
    CHECK(why == "protocol version 2, not 1");
    std::string t9 = udp::reset(1);
    t9[4] = 9;
    CHECK_FALSE(udp::parse(t9, why));
    CHECK_FALSE(udp::parse(udp::hello(1, 10, 0, std::string(32, 'x')), why));
    CHECK(why == "a chunk size of 0");
    CHECK_FALSE(udp::parse(udp::hello(1, 10, 70000, std::string(32, 'x')), why));
    // More chunks than sequence numbers.
    CHECK_FALSE(udp::parse(udp::hello(1, ~0ull, 16, std::string(32, 'x')), why));
    CHECK_FALSE(udp::parse(udp::hello(1, 10, 10, std::string(31, 'x')), why));
    // Forged SACKs: empty, backwards, overlapping, below the cumulative point.
    CHECK_FALSE(udp::parse(udp::ack(1, 0, {{3, 3}}), why));
    CHECK_FALSE(udp::parse(udp::ack(1, 0, {{5, 4}}), why));
    CHECK_FALSE(udp::parse(udp::ack(1, 0, {{2, 5}, {4, 8}}), why));
    CHECK_FALSE(udp::parse(udp::ack(1, 6, {{2, 5}}), why));
    CHECK(why == "an ack whose ranges are empty, overlap or are out of order");
    std::string cut = udp::ack(1, 0, {{2, 5}});
    cut.pop_back();
    CHECK_FALSE(udp::parse(cut, why));
    CHECK_FALSE(udp::parse(udp::done(1, 2), why));
    CHECK_FALSE(udp::parse(udp::reset(1) + "x", why));
    CHECK_FALSE(udp::parse(udp::data_header(1, 0).substr(0, 18), why));
}

TEST_CASE("sockkit udp: a batch sends a head and the body written into its buffer as one datagram each") {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) == 0);
    syskit::fs::UniqueFd a(fds[0]), b(fds[1]);
    const std::string body(3000, 'b');
    syskit::net::SendBatch out;
    std::memcpy(out.add("head:", body.size()), body.data(), body.size());
    out.add("alone");
    std::memcpy(out.add("", 10), body.data(), 10);
    REQUIRE(out.flush(a.get()) == 0);
    CHECK(out.size() == 0);
    syskit::net::RecvBatch in(8, 4096);
    REQUIRE(in.receive(b.get()) == 3);
    CHECK(in.datagram(0) == "head:" + body);
    CHECK(in.datagram(1) == "alone");
    CHECK(in.datagram(2) == body.substr(0, 10));
    // Again, in the buffers of the datagrams sent: a larger body than one of them held.
    const std::string other(2000, 'o'), larger(3500, 'l');
    std::memcpy(out.add("2:", other.size()), other.data(), other.size());
    std::memcpy(out.add("3:", larger.size()), larger.data(), larger.size());
    REQUIRE(out.flush(a.get()) == 0);
    REQUIRE(in.receive(b.get()) == 2);
    CHECK(in.datagram(0) == "2:" + other);
    CHECK(in.datagram(1) == "3:" + larger);
}

// sockkit's UDP packet parser: any datagram is parsed or refused without a crash, and what it
// accepts obeys the layout: ranges non-empty, ordered, above the cumulative point and no more
// than max_ranges; a hello's chunk within bounds; writing an accepted packet again gives the
// same bytes.
#include "sockkit/packet.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace syskit::sockkit;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto p = udp::parse(in, why);
    if (!p) {
        check(!why.empty());
        return 0;
    }
    switch (p->type) {
    case udp::Type::hello:
        check(p->chunk >= 1 && p->chunk <= udp::max_chunk);
        check(udp::hello(p->id, p->size, p->chunk, p->sha256) == in);
        break;
    case udp::Type::data:
        check(udp::data_header(p->id, p->seq) + std::string(p->payload) == in);
        break;
    case udp::Type::ack: {
        check(p->ranges.size() <= udp::max_ranges);
        std::uint32_t floor = p->cumulative;
        for (auto& [a, b] : p->ranges) {
            check(a > floor && b > a);
            floor = b;
        }
        check(udp::ack(p->id, p->cumulative, p->ranges) == in);
        break;
    }
    case udp::Type::done:
        check(p->status <= 1);
        check(udp::done(p->id, p->status) == in);
        break;
    case udp::Type::reset:
        check(udp::reset(p->id) == in);
        break;
    case udp::Type::busy:
        check(udp::busy(p->id) == in);
        break;
    case udp::Type::bye:
        check(udp::bye(p->id) == in);
        break;
    }
    return 0;
}

#include "slots.hpp"

#include <array>

namespace syskit::cachenode::cluster {

namespace {

constexpr std::array<std::uint16_t, 256> make_table() {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        std::uint16_t c = static_cast<std::uint16_t>(i << 8);
        for (int b = 0; b < 8; ++b)
            c = static_cast<std::uint16_t>((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
        t[i] = c;
    }
    return t;
}

constexpr auto table = make_table();

} // namespace

std::uint16_t crc16(std::string_view data) {
    std::uint16_t crc = 0;
    for (unsigned char ch : data)
        crc = static_cast<std::uint16_t>((crc << 8) ^ table[((crc >> 8) ^ ch) & 0xff]);
    return crc;
}

unsigned key_slot(std::string_view key) {
    std::size_t open = key.find('{');
    if (open != std::string_view::npos) {
        std::size_t close = key.find('}', open + 1);
        if (close != std::string_view::npos && close > open + 1)
            key = key.substr(open + 1, close - open - 1);
    }
    return crc16(key) & (slot_count - 1);
}

} // namespace syskit::cachenode::cluster

// cli::parse_size, the parser of --min-size/--max-size (and any later size option): never
// crashes, never accepts a value it cannot hold, and reads back what to_string wrote.
#include "cli/size.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using syskit::cli::parse_size;
    std::string_view in(reinterpret_cast<const char*>(data), size);

    // Any input: no crash, and an accepted value is written back in decimal unchanged.
    if (auto v = parse_size(in)) {
        check(parse_size(std::to_string(*v)) == *v);
        // A size starts with a digit and holds nothing but digits, one '.', a unit and "iB".
        check(!in.empty() && in[0] >= '0' && in[0] <= '9');
        check(in.find_first_not_of("0123456789.KMGTPEkmgtpeiIbB") == std::string_view::npos);
    }

    // Round trip of a number taken from the input: n, and n with each unit, which is either
    // n << shift or refused because it does not fit in 64 bits.
    if (size >= 8) {
        std::uint64_t n;
        std::memcpy(&n, data, sizeof n);
        if (size > 8)
            n >>= data[8] % 64; // small numbers too, not only huge ones
        const std::string digits = std::to_string(n);
        check(parse_size(digits) == n);
        static constexpr char units[] = "KMGTPE";
        for (unsigned u = 0; u < 6; ++u) {
            const unsigned shift = 10 * (u + 1);
            const bool fits = n <= (std::numeric_limits<std::uint64_t>::max() >> shift);
            for (const char* suffix : {"", "B", "iB"}) {
                for (char unit : {units[u], static_cast<char>(units[u] - 'A' + 'a')}) {
                    auto v = parse_size(digits + unit + suffix);
                    check(fits ? v == (n << shift) : !v.has_value());
                }
            }
            // With a fraction: between n and n + 1 units.
            auto half = parse_size(digits + ".5" + units[u]);
            if (fits && n < (std::numeric_limits<std::uint64_t>::max() >> shift))
                check(half == (n << shift) + (std::uint64_t{1} << (shift - 1)));
        }
    }
    return 0;
}

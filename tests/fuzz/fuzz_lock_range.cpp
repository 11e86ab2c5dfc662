// Parsing an untrusted --range START:LEN.
#include "lock/lock.hpp"

#include <cstdint>
#include <cstdlib>
#include <limits>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto r = syskit::lock::parse_range(in, &why);
    if (!r) {
        if (why.empty())
            std::abort();
        return 0;
    }
    // A range it accepts is one fcntl(2) accepts: its last byte is a valid offset.
    constexpr std::int64_t off_max = std::numeric_limits<std::int64_t>::max();
    if (r->start < 0 || r->length < 0 || (r->length > 0 && r->length - 1 > off_max - r->start))
        std::abort();
    if (in.find(':') == std::string_view::npos)
        std::abort();
    return 0;
}

// Recognising logroll's rotated names among the untrusted names of a log directory: only
// what logroll itself would name is ever accepted (and so ever deleted by retention).
#include "logroll/names.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::logroll;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    for (Scheme scheme : {Scheme::timestamp, Scheme::numbered}) {
        auto r = parse_rotated("app.log", scheme, name);
        if (!r)
            continue;
        // Accepted means: exactly the name rotated_name() makes, plus a known extension.
        std::string made = rotated_name("app.log", scheme, r->time, r->seq) + std::string(extension(r->compression));
        if (made != name || r->name != name)
            std::abort();
        if (scheme == Scheme::numbered && r->seq == 0)
            std::abort();
    }
    if (auto t = parse_stamp(name); t && stamp(*t) != name)
        std::abort();
    return 0;
}

// Parsing state files: logroll's own (what it reads it writes back unchanged) and
// logrotate's, which the first --config run imports (every record it takes names a log).
#include "logroll/state.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace syskit::logroll;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    unsigned bad = 0;
    State ours = parse_state(in, bad);
    unsigned again_bad = 1;
    if (parse_state(format_state(ours), again_bad) != ours || again_bad != 0)
        std::abort();
    State theirs = parse_logrotate_state(in, bad);
    for (const auto& [path, t] : theirs)
        if (path.empty())
            std::abort();
    return 0;
}

// Parsing an untrusted --pidfile: a pid logroll would signal is a plain positive decimal
// number, never 0, 1 (init) or beyond Linux's pid_max limit.
#include "logroll/pidfile.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto pid = syskit::logroll::parse_pid(in, &why);
    if (!pid)
        return why.empty() ? (std::abort(), 0) : 0;
    if (*pid <= 1 || *pid > (1 << 22))
        std::abort();
    if (std::to_string(*pid).find_first_not_of("0123456789") != std::string::npos ||
        in.find(std::to_string(*pid)) == std::string_view::npos)
        std::abort();
    return 0;
}

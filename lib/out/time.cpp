#include "out/time.hpp"

#include <fmt/format.h>

namespace syskit::out {

std::string rfc3339(const timespec& t, int digits) {
    tm u{};
    gmtime_r(&t.tv_sec, &u);
    std::string s = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", u.tm_year + 1900, u.tm_mon + 1, u.tm_mday,
                                u.tm_hour, u.tm_min, u.tm_sec);
    if (digits > 0) {
        digits = digits > 9 ? 9 : digits;
        long fraction = t.tv_nsec;
        for (int k = digits; k < 9; ++k)
            fraction /= 10;
        s += fmt::format(".{:0{}}", fraction, digits);
    }
    s += 'Z';
    return s;
}

std::string rfc3339_now(int digits) {
    timespec t{};
    clock_gettime(CLOCK_REALTIME, &t);
    return rfc3339(t, digits);
}

} // namespace syskit::out

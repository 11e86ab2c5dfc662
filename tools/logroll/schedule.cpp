#include "schedule.hpp"

namespace syskit::logroll {

std::int64_t next_boundary(std::int64_t now, std::int64_t interval) {
    std::int64_t floor = now >= 0 ? now / interval : (now - interval + 1) / interval;
    return (floor + 1) * interval;
}

} // namespace syskit::logroll

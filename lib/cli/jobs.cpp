#include "cli/jobs.hpp"

#include <sched.h>

namespace syskit::cli {

unsigned cpu_count() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

} // namespace syskit::cli

// jobs: the default number of threads for -j/--jobs.
#pragma once

namespace syskit::cli {

/// The CPUs this process may run on (sched_getaffinity), so that taskset, cpusets and
/// systemd's CPUAffinity= give a service the right default; at least 1.
unsigned cpu_count();

} // namespace syskit::cli

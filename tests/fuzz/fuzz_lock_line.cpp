// Parsing untrusted /proc/locks text and fdinfo "lock:" lines.
#include "lock/proc_locks.hpp"

#include <cstdint>
#include <cstdlib>

namespace {

void check(const syskit::lock::LockLine& l) {
    // What the parser promises for any line it accepts.
    if (l.type.empty() || l.state.empty() || l.mode.empty() || l.pid < -1 || l.start < 0 ||
        (l.end && *l.end < l.start) || l.ordinal < 0)
        std::abort();
    if (!l.same_lock(l))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto l = syskit::lock::parse_lock_line(in))
        check(*l);
    for (const auto& l : syskit::lock::parse_proc_locks(in))
        check(l);
    for (const auto& l : syskit::lock::parse_fdinfo_locks(in))
        check(l);
    return 0;
}

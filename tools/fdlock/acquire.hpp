// acquire: taking the lock as -n, -w and --verbose ask, and saying what happened.
#pragma once

#include "lock/lock.hpp"

#include <string>

namespace syskit::fdlock {

struct AcquireOptions {
    lock::Request request;
    double wait = -1; ///< seconds to wait: < 0 as long as it takes, 0 not at all (-n)
    bool verbose = false;
    std::string subject; ///< FILE or FD, the subject of messages
};

enum class Acquired {
    locked,
    held,   ///< someone else holds a conflicting lock, and -n or -w gave up
    failed, ///< a system call failed; the message is printed
};

/// Takes the lock on fd.  It first tries without waiting: when that fails and -v was given,
/// it says who holds the lock before it waits.  With verbose, it also says when it got the
/// lock and how long that took, or that it gave up.
Acquired acquire(int fd, const AcquireOptions& o);

} // namespace syskit::fdlock

// plan: what config mode decides before it changes anything: the logs each block's patterns
// name, and for each log whether it is due for rotation, and why.
#pragma once

#include "config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace syskit::logroll::plan {

/// A log a block names.
struct Target {
    std::string path;
    std::size_t block = 0; ///< its index in Config::blocks
};

/// What expand found, besides the logs.
struct Expanded {
    std::vector<Target> targets;
    std::vector<std::string> missing;  ///< a pattern without missingok that names no file: an error
    std::vector<std::string> skipped;  ///< a symbolic link or other non-regular file, with why: a warning
    std::vector<std::string> repeated; ///< a log an earlier block names already: an error
};

/// Expands every block's patterns with glob(3), in order.  Only regular files are logs: a
/// symbolic link is skipped (logrotate's rule: rotating through one would act elsewhere), as
/// is a directory; a log named by two blocks stays with the first.
Expanded expand(const config::Config& cfg);

/// What decide knows about a log.
struct Facts {
    std::uint64_t size = 0;
    std::optional<std::int64_t> last; ///< the state file's last rotation, if any
    std::int64_t now = 0;
    bool force = false;
};

struct Decision {
    bool rotate = false;
    std::string why;
};

/// Whether a log is due, as logrotate decides it: --force, then maxsize, then size, then the
/// interval (and minsize with it); a log with none of them is due at every run; notifempty
/// keeps an empty log whatever the rest says.  A log with an interval and no state record is
/// not due: its interval starts now.
Decision decide(const config::Directives& d, const Facts& f);

/// Whether the calendar period of interval (local time: the hour, day, ISO week, month or
/// year) of now is a later one than last's.
bool new_period(config::Interval interval, std::int64_t last, std::int64_t now);

/// t as RFC 3339 in UTC, for messages.
std::string rfc3339(std::int64_t t);

} // namespace syskit::logroll::plan

// script: the prerotate, postrotate, firstaction and lastaction scripts of config mode, run
// with /bin/sh -c, their output logged line by line, killed when they run past a timeout.
#pragma once

#include "log/log.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace syskit::logroll {

/// The user and group a script runs as (a block's su), with that group as its only one.
struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
};

/// Runs text with /bin/sh -c, $0 "logroll" and $1 arg (as logrotate passes the log's path, or
/// a block's patterns), in a process group of its own, standard input /dev/null and its
/// output (both streams) logged as lines with the script's name (what) and arg; as the user
/// and group of as when given (real, effective and saved ids, and no supplementary group
/// but that one, so neither the shell nor what it runs can take root's back), else with
/// logroll's own.  Once it has run timeout seconds its process group is killed.  Returns
/// true when it exited 0; otherwise false with error saying how it ended (status, signal,
/// timeout) or which call failed.  A background process the script leaves holding its
/// output does not make this wait: the script's own exit ends it.
bool run_script(std::string_view what, const std::string& text, const std::string& arg, double timeout,
                const std::optional<Credentials>& as, log::Logger& log, std::string& error);

} // namespace syskit::logroll

// watch: usbtidy watch: a libudev monitor on the "udev" netlink source (events sent once udev
// has probed the device, so ID_FS_* are set) for USB block devices with a file system; each
// one that matches is waited for in the mount table (libmount's monitor, with a timeout), or
// mounted through UDisks2, then organized, announced and handed to --exec.
#pragma once

#include "devices.hpp"
#include "mounts.hpp"
#include "options.hpp"
#include "rules.hpp"

#include "log/log.hpp"

namespace syskit::usbtidy {

/// Whether dev is one of the drives the options select (--label exactly, --uuid in any case,
/// or --any), and has a file system to organize.
bool selected(const Options& o, const Device& dev);

/// A short text of what moved, for a desktop notification: "12 files moved: 7 to jpg, 5 to
/// txt" (the three largest folders named, then "and N more folders").
struct Tally {
    std::size_t moved = 0, problems = 0;
    bool stopped = false;
    std::vector<std::pair<std::string, std::size_t>> folders; ///< folder, files moved into it
    void add(const std::string& folder);
    std::string summary() const;
};

/// Runs the watcher until SIGINT or SIGTERM (exit 0), or until it cannot go on (exit 2,
/// after saying why: no netlink socket, no session bus for --notify, ...).  SIGHUP reads the
/// --rules file again.
int run_watch(const Options& o, Rules rules, log::Logger& logger);

} // namespace syskit::usbtidy

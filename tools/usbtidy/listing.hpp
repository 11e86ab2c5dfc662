// listing: usbtidy list: USB storage devices with their partitions, labels, file systems,
// sizes and mount points, as a table or JSON lines.
#pragma once

#include "devices.hpp"

#include "cli/diag.hpp"
#include "out/text.hpp"

#include <optional>
#include <string>
#include <vector>

namespace syskit::usbtidy {

/// A device and where it is mounted ("" when it is not).
struct Listed {
    Device dev;
    std::string mount_point;
};

/// The rows: a table with a header (DEVICE TYPE FSTYPE LABEL UUID SIZE MOUNTPOINT, sizes
/// for people, "-" for what is unknown, names escaped when escape is set), or one JSON
/// object a device (sizes in bytes, mountpoint null when not mounted).
void report_devices(out::Sink& sink, cli::Format format, bool escape, const std::vector<Listed>& rows,
                    bool color = false);

/// usbtidy list: enumerates, looks up the mounts, prints.  0, or 2 when udev or the mount
/// table cannot be read.
int run_list(cli::Format format, out::Sink& sink, bool color);

} // namespace syskit::usbtidy

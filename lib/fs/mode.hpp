// mode: file mode bits as ls -l and chmod show them.
#pragma once

#include <sys/types.h>

#include <string>

namespace syskit::fs {

/// The ten-character form of ls -l: type, then rwx for owner, group and others, with
/// s/S for set-id and t/T for the sticky bit ("-rwsr-xr-x", "drwxrwxrwt", "lrwxrwxrwx").
std::string mode_string(mode_t mode);

/// The permission bits in octal as chmod takes them, four digits: "0644", "4755", "1777".
std::string mode_octal(mode_t mode);

} // namespace syskit::fs

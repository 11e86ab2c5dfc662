// The USB drive the usbtidy unit tests describe: a device of the given type and file system,
// labelled "MY STICK".
#pragma once

#include "usbtidy/devices.hpp"

#include <string>
#include <utility>

namespace syskit::usbtidy::test {

inline Device stick(std::string type, std::string fs, std::string usage = "filesystem") {
    Device d;
    d.node = "/dev/sdb1";
    d.type = std::move(type);
    d.fs_type = std::move(fs);
    d.fs_usage = std::move(usage);
    d.label = "MY STICK";
    d.uuid = "1234-ABCD";
    return d;
}

} // namespace syskit::usbtidy::test

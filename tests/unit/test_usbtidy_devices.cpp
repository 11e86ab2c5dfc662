// usbtidy/devices: which USB block devices carry a file system usbtidy can organize.
#include "usbtidy/devices.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::usbtidy;

namespace {
Device stick(std::string type, std::string fs, std::string usage = "filesystem") {
    Device d;
    d.node = "/dev/sdb1";
    d.type = std::move(type);
    d.fs_type = std::move(fs);
    d.fs_usage = std::move(usage);
    d.label = "MY STICK";
    d.uuid = "1234-ABCD";
    return d;
}
} // namespace

TEST_CASE("usbtidy devices with a file system: partitions and superfloppy disks, not containers") {
    CHECK(stick("partition", "vfat").has_filesystem());
    CHECK(stick("disk", "exfat").has_filesystem());
    CHECK(stick("disk", "vfat", "").has_filesystem());
    CHECK_FALSE(stick("disk", "").has_filesystem());
    CHECK_FALSE(stick("partition", "crypto_LUKS", "crypto").has_filesystem());
    CHECK_FALSE(stick("partition", "swap", "other").has_filesystem());
}

// usbtidy/devices: which USB block devices carry a file system usbtidy can organize.
#include "usbtidy/devices.hpp"

#include "usbtidy_stick.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::usbtidy;

using syskit::usbtidy::test::stick;

TEST_CASE("usbtidy devices with a file system: partitions and superfloppy disks, not containers") {
    CHECK(stick("partition", "vfat").has_filesystem());
    CHECK(stick("disk", "exfat").has_filesystem());
    CHECK(stick("disk", "vfat", "").has_filesystem());
    CHECK_FALSE(stick("disk", "").has_filesystem());
    CHECK_FALSE(stick("partition", "crypto_LUKS", "crypto").has_filesystem());
    CHECK_FALSE(stick("partition", "swap", "other").has_filesystem());
}

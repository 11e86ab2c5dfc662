// usbtidy/services: the D-Bus object paths of UDisks2's block devices.
#include "usbtidy/services.hpp"

#include <doctest/doctest.h>

using namespace syskit::usbtidy;

TEST_CASE("usbtidy names UDisks2's objects as udisksd escapes them") {
    CHECK(udisks_block_path("sdb1") == "/org/freedesktop/UDisks2/block_devices/sdb1");
    CHECK(udisks_block_path("dm-0") == "/org/freedesktop/UDisks2/block_devices/dm_2d0");
    CHECK(udisks_block_path("a_b") == "/org/freedesktop/UDisks2/block_devices/a_5fb");
}

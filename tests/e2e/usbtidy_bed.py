"""A umockdev test bed for usbtidy's tests, driven over stdin/stdout.

Run as `umockdev-wrapper /usr/bin/python3 usbtidy_bed.py` (the test bed's own sysfs writes go
through umockdev's preload library too).  The first line printed is the test bed's directory,
for $UMOCKDEV_DIR of the programs under test, run with libumockdev-preload.so.0 in LD_PRELOAD:
their libudev then sees the devices added here, and their "udev" netlink monitor the uevents.
Then each line read is a JSON command, answered with "ok" (or "error: ..."):
  ["stick", DISK, {"ID_FS_LABEL": ...} or null]   a USB stick: the device, the disk DISK, and,
                                                  given properties, its partition DISK1 with
                                                  them (a file system on it)
  ["superfloppy", DISK, {props}]                  a USB disk with a file system and no partition
  ["remove", NAME]                                a "remove" uevent for block device NAME, and
                                                  the device gone
"""
import json
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

bed = UMockdev.Testbed.new()
paths = {}
usb_count = 0


def flat(d: dict) -> list:
    return [x for kv in d.items() for x in kv]


def block(name: str, parent: str, devtype: str, props: dict, sectors: int) -> None:
    base = {"DEVNAME": f"/dev/{name}", "DEVTYPE": devtype, "ID_BUS": "usb", "ID_VENDOR": "SanDisk",
            "ID_MODEL": "Cruzer_Blade"}
    attrs = {"size": str(sectors)}
    if devtype == "partition":
        attrs["partition"] = "1"
    paths[name] = bed.add_device("block", name, parent, flat(attrs), flat({**base, **props}))


def usb_device() -> str:
    global usb_count
    usb_count += 1
    return bed.add_device("usb", f"usb{usb_count}", None, ["idVendor", "0781", "idProduct", "5567"],
                          ["DEVTYPE", "usb_device"])


print(bed.get_root_dir(), flush=True)
for line in sys.stdin:
    try:
        cmd = json.loads(line)
        if cmd[0] == "stick":
            usb = usb_device()
            disk_props = {"ID_PART_TABLE_TYPE": "dos"} if cmd[2] is not None else {}
            block(cmd[1], usb, "disk", disk_props, 2048 * 1024)
            if cmd[2] is not None:
                block(cmd[1] + "1", paths[cmd[1]], "partition", cmd[2], 2048 * 1000)
        elif cmd[0] == "superfloppy":
            block(cmd[1], usb_device(), "disk", cmd[2], 2048 * 512)
        elif cmd[0] == "remove":
            bed.uevent(paths[cmd[1]], "remove")
            bed.remove_device(paths.pop(cmd[1]))
        else:
            raise ValueError(f"unknown command {cmd[0]!r}")
        print("ok", flush=True)
    except Exception as e:  # the test reads the reason
        print(f"error: {e}", flush=True)

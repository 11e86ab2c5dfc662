"""A python3-dbusmock template of UDisks2 for usbtidy's tests: block device objects with the
org.freedesktop.UDisks2.Filesystem interface whose Mount method really mounts something,
so that usbtidy, once answered, finds the mount in the kernel's mount table.

Parameters (dbusmock -p JSON): {"mounts": {"sdb1": {"target": DIR, "lower": DIR or null}}}:
Mount on block_devices/sdb1 mounts, with source /dev/sdb1 on DIR, an overlay showing the
files of "lower", or an empty tmpfs, and returns DIR.  A device not listed has no object:
Mount on it fails with org.freedesktop.DBus.Error.UnknownObject, as for a device gone.
"""
import dbus

BUS_NAME = "org.freedesktop.UDisks2"
MAIN_OBJ = "/org/freedesktop/UDisks2"
MAIN_IFACE = "org.freedesktop.UDisks2.Manager"
SYSTEM_BUS = True

MOUNT = """
import os, subprocess
source, target, lower = {source!r}, {target!r}, {lower!r}
if lower:
    up, work = target + ".upper", target + ".work"
    os.makedirs(up, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    opts = ["-t", "overlay", "-o", f"lowerdir={{lower}},upperdir={{up}},workdir={{work}}"]
else:
    opts = ["-t", "tmpfs", "-o", "size=4m"]
subprocess.run(["mount", *opts, source, target], check=True)
ret = target
"""


def load(mock, parameters):
    mock.AddProperties(MAIN_IFACE, {"Version": "2.9.4"})
    for name, m in parameters.get("mounts", {}).items():
        code = MOUNT.format(source=f"/dev/{name}", target=m["target"], lower=m.get("lower"))
        mock.AddObject(f"/org/freedesktop/UDisks2/block_devices/{name}", "org.freedesktop.UDisks2.Filesystem",
                       {"MountPoints": dbus.Array([], signature="ay")}, [("Mount", "a{sv}", "s", code)])

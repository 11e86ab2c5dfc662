"""End-to-end tests of usbtidy: organize and undo on trees made in tmp_path (collisions, odd
names, hidden and read-only files, a crash injected between journal and rename with strace,
corrupt and foreign journals); list and watch against USB devices a umockdev test bed
(usbtidy_bed.py) adds, whose uevents reach usbtidy's real libudev monitor, mounted as a tmpfs
or an overlay whose source is the device's node, so libmount sees a real mount."""
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import (Result, assert_no_sanitizer_report, generated_unit, mounted_tmpfs, run_tool, tool_env,
                      tool_path, unit_settings, wait_until)

USBTIDY = os.fspath(tool_path("usbtidy"))
BED = Path(__file__).with_name("usbtidy_bed.py")
UDISKS2 = Path(__file__).with_name("usbtidy_udisks2.py")


def usbtidy(*args, **kw):
    return run_tool("usbtidy", *args, **kw)


def snapshot(root: Path) -> dict:
    """Every entry below root, as bytes relative paths, with its mode, size and inode."""
    out = {}
    broot = os.fsencode(root)
    for dp, dns, fns in os.walk(broot):
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            out[os.path.relpath(p, broot)] = (st.st_mode, st.st_size, st.st_ino)
    return out


def odd_tree(tree) -> None:
    tree.file("a.jpg", data=b"1")
    tree.file("B.JPG", data=b"22")
    tree.file("jpg/a.jpg", data=b"old")  # taken: a.jpg becomes "a (1).jpg"
    tree.file("notes", data=b"333")
    tree.file("readonly.txt", mode=0o444, data=b"4")
    tree.file(".hidden.txt", data=b"5")
    tree.file(b"new\nline.txt", data=b"6")
    tree.file(b"latin1-\xe9t\xe9.PNG", data=b"7")
    tree.file(b"space in name.tar.gz", data=b"8")
    tree.dir("System Volume Information")
    tree.file(".Trashes/x.jpg")
    tree.dir("photos.d")
    tree.symlink("link.jpg", "a.jpg")


def test_organize_then_undo_restores_exactly(tree):
    odd_tree(tree)
    before = snapshot(tree.root)
    r = usbtidy("organize", "--format", "json", tree.root)
    assert r.rc == 0, r
    moves = {m["from"].encode("utf-8", "surrogateescape"): m["to"].encode("utf-8", "surrogateescape")
             for m in r.json_lines()}
    assert moves == {
        b"a.jpg": b"jpg/a (1).jpg",
        b"B.JPG": b"jpg/B.JPG",
        b"notes": b"other/notes",
        b"readonly.txt": b"txt/readonly.txt",
        b"new\nline.txt": b"txt/new\nline.txt",
        b"latin1-\xe9t\xe9.PNG": b"png/latin1-\xe9t\xe9.PNG",
        b"space in name.tar.gz": b"gz/space in name.tar.gz",
    }
    after = snapshot(tree.root)
    for src, dst in moves.items():
        assert after[dst][2] == before[src][2], (src, dst)  # the same inode: renamed, not copied
        assert src not in after
    assert stat.S_IMODE(after[b"txt/readonly.txt"][0]) == 0o444
    for kept in (b".hidden.txt", b".Trashes/x.jpg", b"System Volume Information", b"photos.d", b"link.jpg",
                 b"jpg/a.jpg"):
        assert after[kept] == before[kept]

    u = usbtidy("undo", tree.root)
    assert u.rc == 0, u
    assert len(u.lines()) == 9  # seven moves; a name with a newline takes two lines, twice
    assert snapshot(tree.root) == before


def test_dry_run_changes_nothing(tree):
    odd_tree(tree)
    before = snapshot(tree.root)
    r = usbtidy("organize", "--dry-run", tree.root)
    assert r.rc == 0, r
    assert "a.jpg -> jpg/a (1).jpg" in r.lines()
    assert snapshot(tree.root) == before


def test_rules_groups(tree):
    for n in ("x.jpg", "y.PNG", "z.pdf", "song.mp3", "data.bin", "README"):
        tree.file(n)
    rules = tree.file("../rules.txt", data=b"# groups\nimages: jpg png\ndocuments: pdf txt\naudio: mp3 flac\n")
    r = usbtidy("organize", "--rules", rules, tree.root)
    assert r.rc == 0, r
    assert sorted(r.lines()) == ["README -> other/README", "data.bin -> other/data.bin", "song.mp3 -> audio/song.mp3",
                                 "x.jpg -> images/x.jpg", "y.PNG -> images/y.PNG", "z.pdf -> documents/z.pdf"]


def test_bad_rules_named_with_their_line(tree):
    tree.file("x.jpg")
    rules = tree.file("../rules.txt", data=b"images: jpg\nphotos: JPG\n")
    r = usbtidy("organize", "--rules", rules, tree.root)
    assert r.rc == 2
    assert r.err == f"usbtidy: --rules: {rules}: line 2: extension 'jpg' is already in group 'images'\n"
    assert (tree.root / "x.jpg").exists()


def test_crash_between_journal_and_rename(tree):
    """strace kills usbtidy as it enters its fourth renameat2 (B.JPG moved, a.jpg found its
    name taken, "a (1).jpg" moved): the journal of the whole batch is on the drive, two
    files have moved, the rest have not."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    odd_tree(tree)
    before = snapshot(tree.root)
    p = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", "inject=renameat2:signal=SIGKILL:when=4",
                        USBTIDY, "organize", os.fspath(tree.root)], env=tool_env(), capture_output=True)
    assert p.returncode == -9 or p.returncode == 137, p
    moved = sorted(set(snapshot(tree.root)) - set(before))
    assert moved == [b".usbtidy-journal", b"gz", b"jpg/B.JPG", b"jpg/a (1).jpg", b"other", b"png", b"txt"]
    u = usbtidy("undo", tree.root)
    assert u.rc == 0, u
    assert snapshot(tree.root) == before


def strace_inject(rule: str, *args) -> subprocess.CompletedProcess:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    # LeakSanitizer cannot run under ptrace: the sanitizer build checks the rest.
    env = tool_env({"ASAN_OPTIONS": tool_env()["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")})
    return subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", f"inject={rule}", USBTIDY, *map(os.fspath, args)],
                          env=env, capture_output=True)


def test_drive_failing_mid_run_stops_cleanly(tree):
    """From the fourth renameat2 on, every rename fails with EIO, as on a stick pulled out:
    the run stops at the first, says so, and undo puts back the two files that moved."""
    odd_tree(tree)
    before = snapshot(tree.root)
    p = strace_inject("renameat2:error=EIO:when=4+", "organize", tree.root)
    assert p.returncode == 2, p
    assert p.stdout.decode().splitlines() == ["B.JPG -> jpg/B.JPG", "a.jpg -> jpg/a (1).jpg"]
    assert p.stderr == (b"usbtidy: " + os.fsencode(tree.root) +
                        b"/latin1-\xe9t\xe9.PNG: renameat2 to png/latin1-\xe9t\xe9.PNG: Input/output error\n")
    u = usbtidy("undo", tree.root)
    assert u.rc == 0, u
    assert snapshot(tree.root) == before


def test_journal_not_flushed_moves_nothing(tree):
    """The first batch's fdatasync fails: no folder is made and no file moves."""
    odd_tree(tree)
    before = snapshot(tree.root)
    p = strace_inject("fdatasync:error=EIO:when=2", "organize", tree.root)
    assert p.returncode == 2, p
    assert p.stdout == b""
    assert p.stderr.decode() == f"usbtidy: {tree.root}: write(.usbtidy-journal): Input/output error\n"
    assert set(snapshot(tree.root)) == set(before) | {b".usbtidy-journal"}
    assert usbtidy("undo", tree.root).rc == 0
    assert snapshot(tree.root) == before


def test_corrupt_or_foreign_journal_refused(tree):
    tree.file("a.jpg", data=b"1")
    tree.file("b.txt", data=b"2")
    r = usbtidy("organize", tree.root)
    assert r.rc == 0, r
    journal = tree.root / ".usbtidy-journal"
    good = journal.read_bytes()
    lines = good.split(b"\n")
    lines[2] = lines[2].replace(b"mkdir", b"rmdir")  # damaged in the middle, not a crash's tail
    journal.write_bytes(b"\n".join(lines))
    after = snapshot(tree.root)
    u = usbtidy("undo", tree.root)
    assert u.rc == 2
    assert u.err == f"usbtidy: {tree.root}/.usbtidy-journal: line 3: bad checksum; nothing moved\n"
    assert snapshot(tree.root) == after

    journal.write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    u = usbtidy("undo", tree.root)
    assert u.rc == 2
    assert u.err == f"usbtidy: {tree.root}/.usbtidy-journal: not a usbtidy journal; nothing moved\n"
    tree.file("c.png")
    o = usbtidy("organize", tree.root)
    assert o.rc == 2
    assert "not a usbtidy journal; refusing to add to it" in o.err
    assert (tree.root / "c.png").exists()
    assert u.out == o.out == b""


def test_journal_from_another_file_system(tree):
    """A journal copied off the drive, to a directory on another kind of file system."""
    tree.file("a.jpg", data=b"1")
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "1m"):
        (mnt / "a.jpg").write_bytes(b"1")
        assert usbtidy("organize", mnt).rc == 0
        shutil.copy(mnt / ".usbtidy-journal", tree.root / "copy")
    os.rename(tree.root / "copy", tree.root / ".usbtidy-journal")
    os.mkdir(tree.root / "jpg")
    os.rename(tree.root / "a.jpg", tree.root / "jpg/a.jpg")
    u = usbtidy("undo", tree.root)
    if u.rc == 0:
        pytest.skip("the test directory is on a tmpfs too")
    assert u.rc == 2
    assert "written on another file system (type 1021994;" in u.err
    assert (tree.root / "jpg/a.jpg").exists()


def test_write_protected_drive_moves_nothing(tree):
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "1m"):
        (mnt / "a.jpg").write_bytes(b"1")
        subprocess.run(["mount", "-o", "remount,ro", os.fspath(mnt)], check=True)
        before = snapshot(mnt)
        r = usbtidy("organize", mnt)
        assert r.rc == 2
        assert r.err == f"usbtidy: {mnt}: openat(.usbtidy-journal): Read-only file system\n"
        assert snapshot(mnt) == before


def test_undo_without_journal(tree):
    r = usbtidy("undo", tree.root)
    assert r.rc == 2
    assert r.err == f"usbtidy: {tree.root}/.usbtidy-journal: no journal: nothing was organized here\n"


def test_usage_errors(tree):
    r = usbtidy()
    assert r.rc == 2
    assert r.err.splitlines() == ["usbtidy: a command is missing: organize, undo, list or watch",
                                  "Try 'usbtidy --help' for more information."]
    r = usbtidy("watch", "--any", "--label", "X")
    assert r.rc == 2
    assert r.err.splitlines()[0] == "usbtidy: --any: choose one of --label, --uuid and --any"
    r = usbtidy("organize", tree.root / "missing")
    assert r.rc == 2
    assert r.err == f"usbtidy: {tree.root}/missing: No such file or directory\n"


def test_many_files(tree):
    """100,000 files organized and put back, on a tmpfs as a drive of their own."""
    names = [f"f{i:06d}.{('jpg', 'png', 'txt', 'pdf', 'mp3')[i % 5]}" for i in range(100_000)]
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "16m"):
        fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for n in names:
                os.close(os.open(n, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
        finally:
            os.close(fd)
        r = usbtidy("organize", mnt, timeout=120)
        assert r.rc == 0, r
        assert len(r.out.splitlines()) == 100_000
        assert sorted(os.listdir(mnt)) == [".usbtidy-journal", "jpg", "mp3", "pdf", "png", "txt"]
        assert len(os.listdir(mnt / "jpg")) == 20_000
        u = usbtidy("undo", mnt, timeout=120)
        assert u.rc == 0, u
        assert sorted(os.listdir(mnt)) == names


class Bed:
    """The umockdev test bed of usbtidy_bed.py, in a process of its own."""

    def __init__(self):
        self.p = subprocess.Popen(["umockdev-wrapper", "/usr/bin/python3", os.fspath(BED)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.root = self.p.stdout.readline().strip()
        assert self.root, "the umockdev test bed did not start"
        # The tools run with umockdev's preload library, as umockdev-wrapper would start them;
        # a sanitizer build must then accept a library loaded before its runtime.
        self.env = {"UMOCKDEV_DIR": self.root, "LD_PRELOAD": "libumockdev-preload.so.0",
                    "ASAN_OPTIONS": tool_env()["ASAN_OPTIONS"] + ":verify_asan_link_order=0"}

    def __call__(self, *cmd) -> None:
        self.p.stdin.write(json.dumps(list(cmd)) + "\n")
        self.p.stdin.flush()
        reply = self.p.stdout.readline().strip()
        assert reply == "ok", f"test bed: {cmd}: {reply}"

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait(timeout=10)


@pytest.fixture
def bed():
    if shutil.which("umockdev-wrapper") is None:
        pytest.skip("umockdev is not installed")
    b = Bed()
    try:
        yield b
    finally:
        b.close()


@contextlib.contextmanager
def mounted_as(source: str, mnt: Path, lower: Path | None = None):
    """A tmpfs, or with lower an overlay showing lower's files, mounted on mnt with source as
    its source: the mount table then says source is mounted on mnt."""
    if lower is None:
        args = ["-t", "tmpfs", "-o", "size=4m"]
    else:
        upper, work = mnt.parent / (mnt.name + ".upper"), mnt.parent / (mnt.name + ".work")
        upper.mkdir()
        work.mkdir()
        args = ["-t", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}"]
    p = subprocess.run(["mount", *args, source, os.fspath(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount here: {p.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", os.fspath(mnt)], check=True)


STICK = {"ID_FS_TYPE": "vfat", "ID_FS_USAGE": "filesystem", "ID_FS_LABEL": "MY_STICK",
         "ID_FS_LABEL_ENC": "MY\\x20STICK", "ID_FS_UUID": "1234-ABCD"}


def test_list_table_and_json(bed, tree):
    bed("stick", "sdb", STICK)
    bed("superfloppy", "sdc", {"ID_FS_TYPE": "exfat", "ID_FS_LABEL": "FLOPPY", "ID_FS_UUID": "5E6F-0001"})
    bed("stick", "sdd", None)
    mnt = tree.dir("mount point")
    with mounted_as("/dev/sdb1", mnt):
        r = usbtidy("list", env=bed.env)
        assert r.rc == 0, r
        assert r.lines() == [
            "DEVICE     TYPE       FSTYPE  LABEL     UUID       SIZE   MOUNTPOINT",
            "/dev/sdb   disk       -       -         -          1.0G   -",
            f"/dev/sdb1  partition  vfat    MY STICK  1234-ABCD  1000M  {mnt}",
            "/dev/sdc   disk       exfat   FLOPPY    5E6F-0001  512M   -",
            "/dev/sdd   disk       -       -         -          1.0G   -",
        ]
        j = usbtidy("list", "--format", "json", env=bed.env)
        assert j.rc == 0, j
        rows = j.json_lines()
        assert [r["device"] for r in rows] == ["/dev/sdb", "/dev/sdb1", "/dev/sdc", "/dev/sdd"]
        assert rows[1] == {"device": "/dev/sdb1", "type": "partition", "disk": "/dev/sdb", "fstype": "vfat",
                           "label": "MY STICK", "uuid": "1234-ABCD", "model": "SanDisk Cruzer Blade",
                           "size": 2048 * 1000 * 512, "mountpoint": os.fspath(mnt)}
        assert rows[2]["mountpoint"] is None


def test_list_nothing(bed):
    r = usbtidy("list", env=bed.env)
    assert r.rc == 0, r
    assert r.lines() == ["DEVICE  TYPE  FSTYPE  LABEL  UUID  SIZE  MOUNTPOINT"]


class Watch:
    """usbtidy watch ARGS running in the background with the test bed's environment, its log
    (JSON lines) read as it grows."""

    def __init__(self, bed: Bed, tmp: Path, *args, env: dict | None = None):
        self.log_path = tmp / "watch.log"
        self.log_file = open(self.log_path, "wb")
        self.p = subprocess.Popen([USBTIDY, "watch", "--log-format", "json", *map(os.fspath, args)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log_file,
                                  env=tool_env({**bed.env, **(env or {})}))
        self.wait_for("watching")

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_bytes().splitlines() if line.startswith(b"{")]

    def find(self, msg: str) -> list[dict]:
        return [r for r in self.records() if r["msg"] == msg]

    def wait_for(self, msg: str, timeout: float = 10) -> dict:
        wait_until(lambda: self.find(msg) or self.p.poll() is not None, timeout=timeout, what=f"log line {msg!r}")
        found = self.find(msg)
        assert found, f"usbtidy watch exited {self.p.returncode}:\n{self.log_path.read_text()}"
        return found[-1]

    def stop(self) -> int:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=10)
        self.log_file.close()
        err = self.log_path.read_text(errors="surrogateescape")
        assert_no_sanitizer_report(Result(self.p.args, rc, b"", err))
        return rc


@pytest.fixture
def watch(bed, tmp_path):
    started = []

    def start(*args, env=None):
        w = Watch(bed, tmp_path, *args, env=env)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def stick_files(tree) -> Path:
    lower = tree.dir("lower")
    for n in ("a.jpg", "b.JPG", "c.txt", "README", ".hidden"):
        (lower / n).write_bytes(n.encode())
    return lower


def test_watch_waits_for_the_mount_then_organizes(bed, watch, tree):
    w = watch("--label", "MY STICK", "--timeout", "10")
    bed("stick", "sdb", STICK)
    seen = w.wait_for("waiting for the mount")
    assert seen["device"] == "/dev/sdb1"
    assert w.find("device")[0]["label"] == "MY STICK"
    mnt = tree.dir("media/MY STICK")
    with mounted_as("/dev/sdb1", mnt, stick_files(tree)):
        done = w.wait_for("organized")
        assert done["mountpoint"] == os.fspath(mnt)
        assert done["moved"] == 4 and done["problems"] == 0
        assert sorted(os.listdir(mnt)) == [".hidden", ".usbtidy-journal", "jpg", "other", "txt"]
        assert sorted(os.listdir(mnt / "jpg")) == ["a.jpg", "b.JPG"]
        assert usbtidy("undo", mnt).rc == 0
        assert sorted(os.listdir(mnt)) == [".hidden", "README", "a.jpg", "b.JPG", "c.txt"]
    assert w.stop() == 0


def test_watch_superfloppy_already_mounted(bed, watch, tree, tmp_path):
    """A stick formatted without a partition table: the disk itself has the file system.  It
    is mounted by the time its event arrives, so it is organized at once; --exec runs after."""
    mnt = tree.dir("floppy")
    out = tmp_path / "exec.out"
    w = watch("--any", "--exec", f'printf "%s|%s" "$1" "$2" > {out}')
    with mounted_as("/dev/sdc", mnt):
        (mnt / "song.mp3").write_bytes(b"x")
        bed("superfloppy", "sdc", {"ID_FS_TYPE": "vfat", "ID_FS_LABEL": "FLOPPY"})
        done = w.wait_for("organized")
        assert done["device"] == "/dev/sdc" and done["moved"] == 1
        assert (mnt / "mp3/song.mp3").exists()
        w.wait_for("command finished")
        assert out.read_text() == f"{mnt}|/dev/sdc"
        assert not w.find("waiting for the mount")


def test_watch_vanished_not_selected_and_timeout(bed, watch):
    w = watch("--uuid", "1234-abcd", "--timeout", "0.5")
    bed("stick", "sdb", {**STICK, "ID_FS_UUID": "9999-0000"})
    bed("stick", "sdd", None)  # no file system: never considered
    bed("stick", "sde", STICK)
    w.wait_for("waiting for the mount")
    bed("remove", "sde1")
    gone = w.wait_for("device vanished before it was mounted")
    assert gone["device"] == "/dev/sde1"
    bed("stick", "sdf", STICK)
    late = w.wait_for("not mounted in time", timeout=5)
    assert late["device"] == "/dev/sdf1"
    assert [r["device"] for r in w.find("device")] == ["/dev/sde1", "/dev/sdf1"]
    assert not w.find("organized")


def test_watch_mount_point_of_another_file_system(bed, watch, tree):
    """The mount table names the stick, but what the mount point shows now is another file
    system mounted over it: nothing is touched."""
    mnt = tree.dir("m")
    with mounted_as("/dev/sdb1", mnt), mounted_as("other", mnt):
        (mnt / "a.jpg").write_bytes(b"1")
        w = watch("--any")
        bed("stick", "sdb", STICK)
        w.wait_for("the mount point is on another file system than the device's; not tidied")
        assert sorted(os.listdir(mnt)) == ["a.jpg"]


class DBusDaemon:
    """A private bus: dbus-daemon with the session configuration (any method allowed)."""

    def __init__(self):
        self.p = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                  stdout=subprocess.PIPE, text=True)
        self.address = self.p.stdout.readline().strip()
        assert self.address.startswith("unix:"), "dbus-daemon did not start"
        self.mocks = []

    def mock(self, *args, system: bool = False, log: Path | None = None, name: str) -> None:
        """python3-dbusmock ARGS on this bus (as the system bus with system), owning name."""
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.mocks.append(subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", *(["-l", os.fspath(log)] if log else []),
                                            *args], env=env, stdout=subprocess.DEVNULL))
        wait_until(lambda: self.send("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                                     f"string:{name}").endswith("true"), what=f"{name} on the bus")

    def send(self, dest: str, path: str, method: str, *args: str) -> str:
        p = subprocess.run(["dbus-send", f"--bus={self.address}", "--print-reply=literal", f"--dest={dest}", path,
                            method, *args], capture_output=True, text=True)
        return p.stdout.strip()

    def close(self) -> None:
        for m in self.mocks:
            m.terminate()
            m.wait(timeout=10)
        self.p.terminate()
        self.p.wait(timeout=10)


@pytest.fixture
def buses():
    """Two private buses, session and system, and the environment that points a tool at them."""
    if shutil.which("dbus-daemon") is None or subprocess.run(["/usr/bin/python3", "-c", "import dbusmock"]).returncode:
        pytest.skip("dbus-daemon or python3-dbusmock is not installed")
    session, system = DBusDaemon(), DBusDaemon()
    try:
        yield session, system, {"DBUS_SESSION_BUS_ADDRESS": session.address,
                                "DBUS_SYSTEM_BUS_ADDRESS": system.address}
    finally:
        session.close()
        system.close()


def test_watch_notifies_what_moved(bed, watch, tree, buses, tmp_path):
    session, _, env = buses
    log = tmp_path / "notifications.log"
    session.mock("--template", "notification_daemon", log=log, name="org.freedesktop.Notifications")
    w = watch("--label", "MY STICK", "--notify", env=env)
    bed("stick", "sdb", STICK)
    w.wait_for("waiting for the mount")
    mnt = tree.dir("m")
    with mounted_as("/dev/sdb1", mnt, stick_files(tree)):
        w.wait_for("organized")
        w.wait_for("notified")
        sent = log.read_text()
        assert 'Notify "usbtidy" 0 "drive-removable-media" "USB drive MY STICK tidied" ' in sent
        assert f'"4 files moved: 2 to jpg, 1 to other, 1 to txt\n{mnt}"' in sent, sent


def test_watch_notification_daemon_missing_or_hanging(bed, watch, tree, buses):
    """No daemon: the notification fails at once and is logged.  A daemon that never
    answers: the next stick is organized all the same, without waiting for it."""
    session, _, env = buses
    w = watch("--any", "--notify", env=env)
    bed("stick", "sdb", STICK)
    w.wait_for("waiting for the mount")
    with mounted_as("/dev/sdb1", tree.dir("m1"), stick_files(tree)):
        assert w.wait_for("organized")["moved"] == 4
        failed = w.wait_for("notification not delivered")
        assert "org.freedesktop.DBus.Error.ServiceUnknown" in failed["error"]

    session.mock("org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                 name="org.freedesktop.Notifications")
    session.send("org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.DBus.Mock.AddMethod",
                 "string:org.freedesktop.Notifications", "string:Notify", "string:susssasa{sv}i", "string:u",
                 "string:import time; time.sleep(20); ret = 1")
    bed("stick", "sdc", STICK)
    w.wait_for("waiting for the mount")
    with mounted_as("/dev/sdc1", tree.dir("m2"), stick_files(tree)):
        wait_until(lambda: len(w.find("organized")) == 2, timeout=3, what="the second stick organized")
    bed("stick", "sdd", STICK)
    with mounted_as("/dev/sdd1", tree.dir("m3"), stick_files(tree)):
        # The daemon is still asleep on the second notification: the third stick goes ahead.
        wait_until(lambda: len(w.find("organized")) == 3, timeout=3, what="the third stick organized")


def test_watch_without_session_bus(bed, tmp_path):
    env = tool_env({**bed.env, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus", "XDG_RUNTIME_DIR": ""})
    p = subprocess.run([USBTIDY, "watch", "--any", "--notify"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, p
    assert "level=error msg=\"no session bus for --notify\"" in p.stderr, p.stderr


def test_watch_mounts_through_udisks2(bed, watch, tree, buses):
    _, system, env = buses
    mnt = tree.dir("media/MY STICK")
    system.mock("--template", os.fspath(UDISKS2), "-p",
                json.dumps({"mounts": {"sdb1": {"target": os.fspath(mnt), "lower": os.fspath(stick_files(tree))}}}),
                name="org.freedesktop.UDisks2")
    w = watch("--label", "MY STICK", "--mount", env=env)
    try:
        bed("stick", "sdb", STICK)
        assert w.wait_for("mounted through UDisks2")["mountpoint"] == os.fspath(mnt)
        done = w.wait_for("organized")
        assert done["mountpoint"] == os.fspath(mnt) and done["moved"] == 4
        assert sorted(os.listdir(mnt)) == [".hidden", ".usbtidy-journal", "jpg", "other", "txt"]
    finally:
        subprocess.run(["umount", "-l", os.fspath(mnt)])


def test_watch_mount_of_a_vanished_device(bed, watch, buses):
    """UDisks2 no longer has the device when usbtidy asks: the error is logged, nothing waits."""
    _, system, env = buses
    system.mock("--template", os.fspath(UDISKS2), "-p", json.dumps({"mounts": {}}), name="org.freedesktop.UDisks2")
    w = watch("--any", "--mount", env=env)
    bed("stick", "sdb", STICK)
    failed = w.wait_for("UDisks2 could not mount it")
    assert failed["device"] == "/dev/sdb1"
    # dbus-python answers a call to an object it lacks with UnknownMethod, udisksd with UnknownObject.
    assert "org.freedesktop.DBus.Error.Unknown" in failed["error"]
    assert "/org/freedesktop/UDisks2/block_devices/sdb1" in failed["error"]
    assert not w.find("not mounted in time")


UNIT = generated_unit("usbtidy", "usbtidy@.service")


def test_systemd_user_unit(tmp_path, bed):
    text = UNIT.read_text()
    unit = unit_settings(text)
    service = unit["Service"]
    assert service["Type"] == ["notify"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["Install"]["WantedBy"] == ["default.target"]
    exec_start = service["ExecStart"][0].split()
    assert exec_start[1:] == ["watch", "--label", "%I", "--mount", "--notify"]
    assert exec_start[0].endswith("/bin/usbtidy"), exec_start
    assert service["ReadWritePaths"] == ["-/media -/run/media"]
    # Type=notify: READY=1 reaches $NOTIFY_SOCKET once the monitors are set up.
    path = os.fspath(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    w = Watch(bed, tmp_path, "--any", env={"NOTIFY_SOCKET": path})
    try:
        assert "READY=1" in sock.recv(4096).decode().split("\n")
    finally:
        assert w.stop() == 0
        sock.close()
    analyze = shutil.which("systemd-analyze")
    if analyze:
        # systemd's own parser, as a user manager reads an instance that starts the binary under test.
        copy = tmp_path / "usbtidy@MY.service"
        copy.write_text(text.replace(exec_start[0], USBTIDY))
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        p = subprocess.run([analyze, "verify", "--user", "--man=no", os.fspath(copy)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60, env=dict(os.environ, XDG_RUNTIME_DIR=os.fspath(runtime)))
        assert p.returncode == 0 and p.stdout == b"", p.stdout.decode()


def test_watch_reloads_rules_on_sighup(bed, watch, tree, tmp_path):
    rules = tmp_path / "rules"
    rules.write_text("pictures: jpg\n")
    w = watch("--any", "--rules", rules)
    rules.write_text("images: jpg\nnotes: txt\n")
    w.p.send_signal(signal.SIGHUP)
    w.wait_for("rules reloaded")
    rules.write_text("broken\n")
    w.p.send_signal(signal.SIGHUP)
    assert w.wait_for("rules not reloaded")["error"] == f"{rules}: line 1: expected 'FOLDER: EXT EXT ...'"
    bed("stick", "sdb", STICK)
    w.wait_for("waiting for the mount")
    mnt = tree.dir("m")
    with mounted_as("/dev/sdb1", mnt, stick_files(tree)):
        w.wait_for("organized")
        assert sorted(os.listdir(mnt)) == [".hidden", ".usbtidy-journal", "images", "notes", "other"]

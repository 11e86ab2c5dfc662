"""End-to-end tests of permscan: the built binary against trees each test makes in tmp_path.

Options are passed before a "--" and the trees after it, so that a repeatable option
(--check, --exclude, ...) cannot take a tree for one of its values; test_option_then_path
checks the natural order on its own."""
import datetime
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import (REPO, Result, Tree, assert_no_sanitizer_report, bind_mounted, can_run_as_nobody, make_deep,
                      mounted_tmpfs, on_terminal, run_tool, tool_path)

CHECKS = ["world-writable-file", "world-writable-dir", "setuid", "setgid", "exposed-secret",
          "dangling-symlink", "symlink-loop", "unknown-owner", "writable-executable",
          "device-outside-dev", "file-capabilities", "group-writable"]
DEFAULT_CHECKS = CHECKS[:-1]
SEVERITY = {"world-writable-file": "high", "world-writable-dir": "high", "setuid": "high", "setgid": "medium",
            "exposed-secret": "high", "dangling-symlink": "low", "symlink-loop": "low",
            "unknown-owner": "medium", "writable-executable": "high", "device-outside-dev": "high",
            "file-capabilities": "medium", "group-writable": "low"}

# MODE OCTAL OWNER:GROUP PATH  CHECK  REASON
LINE = re.compile(r"(?P<mode>[-dlcbps][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]) (?P<octal>[0-7]{4}) "
                  r"(?P<owner>[^ :]+):(?P<group>[^ ]+) (?P<path>.+?)  (?P<check>" + "|".join(CHECKS) +
                  r")  (?P<reason>.+)")

PEM_KEY = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n" \
          b"-----END PRIVATE KEY-----\n"
OPENSSH_KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\n-----END CERTIFICATE-----\n"
PUBKEY = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"
SCRIPT = b"#!/bin/sh\nexit 0\n"


def permscan(*args, roots=(), **kw):
    """permscan ARGS -- ROOTS."""
    return run_tool("permscan", *args, *(["--", *roots] if roots else []), **kw)


def scan(t: Tree, *args, roots=None, **kw):
    """Scans the tree; returns the result and its text findings as a set of (path relative
    to the tree, check), the tree itself as '.'.  Every stdout line must have the text shape."""
    r = permscan(*args, roots=roots or [t.root], **kw)
    return r, findings(r, t.root)


def parse(r):
    rows = []
    for line in r.lines():
        m = LINE.fullmatch(line)
        assert m, f"line does not have the shape MODE OCTAL OWNER:GROUP PATH  CHECK  REASON: {line!r}\n{r}"
        rows.append(m.groupdict())
    return rows


def rel(path: str, root: Path) -> str:
    root = str(root)
    if path == root:
        return "."
    assert path.startswith(root + "/"), f"{path!r} is not under {root}"
    return path[len(root) + 1:]


def findings(r, root: Path) -> set:
    return {(rel(row["path"], root), row["check"]) for row in parse(r)}


def reasons(r, root: Path) -> dict:
    return {(rel(row["path"], root), row["check"]): row["reason"] for row in parse(r)}


def assert_clean(r):
    assert r.rc == 0, r
    assert r.out == b"", r
    assert r.err == "", r


# --- world-writable-file ---------------------------------------------------------------

def test_world_writable_file_positive(tree):
    tree.file("ww", 0o666, b"data")
    tree.file("sub/ww2", 0o602)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("ww", "world-writable-file"), ("sub/ww2", "world-writable-file")}, r
    row = next(x for x in parse(r) if x["path"].endswith("/ww"))
    assert (row["mode"], row["octal"], row["owner"], row["group"]) == ("-rw-rw-rw-", "0666", "root", "root"), r
    assert row["reason"] == "any user can change its content", r
    assert r.err == "", r


def test_world_writable_file_negative(tree):
    tree.file("plain", 0o644)
    tree.file("private", 0o600)
    tree.file("group-writable", 0o664)  # not a default check
    tree.file("readonly", 0o444)
    tree.dir("sub", 0o755)
    assert_clean(scan(tree)[0])


# --- world-writable-dir ----------------------------------------------------------------

def test_world_writable_dir_positive(tree):
    tree.dir("open", 0o777)
    tree.dir("a/b/open2", 0o703)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("open", "world-writable-dir"), ("a/b/open2", "world-writable-dir")}, r
    row = next(x for x in parse(r) if x["path"].endswith("/open"))
    assert (row["mode"], row["octal"]) == ("drwxrwxrwx", "0777"), r


def test_world_writable_dir_sticky_negative(tree):
    tree.dir("tmp", 0o1777)
    tree.dir("tmp2", 0o1733)
    tree.dir("normal", 0o755)
    assert_clean(scan(tree)[0])


def test_world_writable_root_itself(tree):
    os.chmod(tree.root, 0o777)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {(".", "world-writable-dir")}, r


# --- setuid / setgid / --allow ----------------------------------------------------------

def test_setuid_positive(tree):
    tree.file("bin/suid", 0o4755, SCRIPT)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("bin/suid", "setuid")}, r
    assert reasons(r, tree.root)[("bin/suid", "setuid")] == "runs with the privileges of user root", r
    row = next(x for x in parse(r) if x["path"].endswith("/suid"))
    assert (row["mode"], row["octal"]) == ("-rwsr-xr-x", "4755"), r


def test_setuid_negative(tree):
    tree.file("bin/plain", 0o755, SCRIPT)
    tree.dir("suid-dir", 0o4755)  # set-user-id has no meaning on a directory
    assert_clean(scan(tree)[0])


def test_setgid_positive(tree):
    tree.file("bin/sgid", 0o2755, SCRIPT)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("bin/sgid", "setgid")}, r
    assert reasons(r, tree.root)[("bin/sgid", "setgid")] == "runs with the privileges of group root", r
    assert parse(r)[0]["mode"] == "-rwxr-sr-x", r


def test_setgid_directory_negative(tree):
    tree.dir("shared", 0o2755)  #: a setgid directory, as for shared project dirs
    tree.dir("shared2", 0o2750)
    tree.file("shared/file", 0o644)
    assert_clean(scan(tree)[0])


def test_allow_name_glob(tree):
    tree.file("bin/ping", 0o4755, SCRIPT)
    tree.file("bin/wall", 0o2755, SCRIPT)
    tree.file("bin/sudo", 0o4755, SCRIPT)
    r, f = scan(tree, "--allow", "pin*", "--allow", "wall")
    assert r.rc == 1, r
    assert f == {("bin/sudo", "setuid")}, r


def test_allow_path_glob(tree):
    tree.file("bin/ping", 0o4755, SCRIPT)
    tree.file("other/ping", 0o4755, SCRIPT)
    r, f = scan(tree, f"--allow={tree.root}/bin/*")
    assert r.rc == 1, r
    assert f == {("other/ping", "setuid")}, r


def test_allow_everything_allowed_is_clean(tree):
    tree.file("bin/ping", 0o4755, SCRIPT)
    assert_clean(scan(tree, "--allow=ping")[0])


def test_allow_nonmatching_glob_keeps_findings(tree):
    tree.file("bin/ping", 0o4755, SCRIPT)
    tree.file("bin/wall", 0o2755, SCRIPT)
    r, f = scan(tree, "--allow=pong", "--allow=*/sbin/*")
    assert r.rc == 1, r
    assert f == {("bin/ping", "setuid"), ("bin/wall", "setgid")}, r


# --- exposed-secret ---------------------------------------------------------------------

EXPOSED = [
    # (path, mode, content, expected findings on that path, expected exposed-secret reason)
    ("home/id_rsa", 0o644, OPENSSH_KEY, {"exposed-secret"}, "SSH private key readable by group and others"),
    ("home/id_ed25519", 0o640, OPENSSH_KEY, {"exposed-secret"}, "SSH private key readable by group"),
    ("etc/server.key", 0o644, PEM_KEY, {"exposed-secret"}, "private key readable by group and others"),
    ("etc/tls.pem", 0o604, CERT + PEM_KEY, {"exposed-secret"}, "private key readable by others"),
    ("home/.netrc", 0o644, b"machine x login y password z\n", {"exposed-secret"},
     "credentials readable by group and others"),
    ("home/.pgpass", 0o644, b"*:*:*:u:secret\n", {"exposed-secret"}, "credentials readable by group and others"),
    ("home/.ssh/authorized_keys", 0o620, b"ssh-ed25519 AAAA x\n", {"exposed-secret"},
     "authorized keys writable by group"),
    ("home/.ssh/authorized_keys", 0o666, b"ssh-ed25519 AAAA x\n", {"exposed-secret", "world-writable-file"},
     "authorized keys writable by group and others"),
]


@pytest.mark.parametrize("path,mode,data,expected,reason", EXPOSED,
                         ids=[f"{p.rsplit('/', 1)[1]}-{m:04o}" for p, m, *_ in EXPOSED])
def test_exposed_secret_positive(tree, path, mode, data, expected, reason):
    if "/.ssh/" in path:
        tree.dir(path.rsplit("/", 1)[0], 0o700)
    tree.file(path, mode, data)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {(path, c) for c in expected}, r
    assert reasons(r, tree.root)[(path, "exposed-secret")] == reason, r


def test_exposed_secret_ssh_dir_positive(tree):
    tree.dir("home/.ssh", 0o755)
    tree.file("home/.ssh/known_hosts", 0o644)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("home/.ssh", "exposed-secret")}, r
    assert reasons(r, tree.root)[("home/.ssh", "exposed-secret")] == \
        ".ssh directory open to group and others, not 0700", r


def test_exposed_secret_negative(tree):
    tree.dir("home/.ssh", 0o700)
    tree.file("home/.ssh/id_rsa", 0o600, OPENSSH_KEY)
    tree.file("home/.ssh/id_rsa.pub", 0o644, b"ssh-rsa AAAA x\n")
    tree.file("home/.ssh/authorized_keys", 0o644, b"ssh-ed25519 AAAA x\n")
    tree.file("home/.netrc", 0o600, b"machine x login y password z\n")
    tree.file("home/.pgpass", 0o600, b"*:*:*:u:secret\n")
    tree.file("etc/server.key", 0o600, PEM_KEY)
    tree.file("etc/not-a-key.key", 0o644, b"just some text, no PEM block\n")
    tree.file("etc/public.key", 0o644, PUBKEY)
    tree.file("etc/cert.pem", 0o644, CERT)
    tree.file("etc/private-key-mentioned.key", 0o644, b"PRIVATE KEY is a phrase, not a PEM block\n")
    tree.file("etc/id_rsa.txt", 0o644, OPENSSH_KEY)  # not an SSH key file name
    tree.dir("etc/ssh-not-dot", 0o755)
    assert_clean(scan(tree)[0])


# --- dangling-symlink / symlink-loop ---------------------------------------------------

def test_dangling_symlink_positive(tree):
    tree.file("file", 0o644)
    tree.symlink("gone", "nowhere")
    tree.symlink("sub/gone-abs", str(tree.root / "missing" / "x"))
    tree.symlink("through-file", "file/below")  # ENOTDIR: cannot exist either
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("gone", "dangling-symlink"), ("sub/gone-abs", "dangling-symlink"),
                 ("through-file", "dangling-symlink")}, r
    assert reasons(r, tree.root)[("gone", "dangling-symlink")] == "its target does not exist (-> nowhere)", r
    assert parse(r)[0]["mode"] == "lrwxrwxrwx", r


def test_dangling_symlink_as_root(tree):
    link = tree.symlink("gone", "nowhere")
    r = permscan(roots=[link])
    assert r.rc == 1, r
    assert findings(r, tree.root) == {("gone", "dangling-symlink")}, r


def test_dangling_symlink_negative(tree):
    tree.file("file", 0o644)
    tree.dir("dir", 0o755)
    tree.symlink("to-file", "file")
    tree.symlink("to-dir", "dir")
    tree.symlink("sub/up", "../file")
    tree.symlink("abs", "/")
    tree.symlink("chain1", "chain2")
    tree.symlink("chain2", "file")
    assert_clean(scan(tree)[0])


def test_symlink_loop_positive(tree):
    tree.symlink("a", "b")
    tree.symlink("b", "a")
    tree.symlink("self", "self")
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("a", "symlink-loop"), ("b", "symlink-loop"), ("self", "symlink-loop")}, r
    assert reasons(r, tree.root)[("a", "symlink-loop")].endswith("(-> b)"), r


def test_symlink_loop_negative(tree):
    # A directory symlink pointing back up is a cycle only for a walker that follows links;
    # permscan does not follow them, and the link itself resolves.
    tree.dir("d", 0o755)
    tree.symlink("d/up", "..")
    tree.symlink("c", "d")
    assert_clean(scan(tree)[0])


# --- unknown-owner ----------------------------------------------------------------------

def test_unknown_owner_positive(tree):
    p = tree.file("orphan", 0o644)
    os.chown(p, 54321, 54321)
    q = tree.file("orphan-group", 0o644)
    os.chown(q, 0, 54321)
    d = tree.dir("orphan-dir", 0o755)
    os.chown(d, 54321, 0)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("orphan", "unknown-owner"), ("orphan-group", "unknown-owner"),
                 ("orphan-dir", "unknown-owner")}, r
    why = reasons(r, tree.root)
    assert why[("orphan", "unknown-owner")] == "uid 54321 has no passwd entry, gid 54321 has no group entry", r
    assert why[("orphan-group", "unknown-owner")] == "gid 54321 has no group entry", r
    assert why[("orphan-dir", "unknown-owner")] == "uid 54321 has no passwd entry", r
    row = next(x for x in parse(r) if x["path"].endswith("/orphan"))
    assert (row["owner"], row["group"]) == ("54321", "54321"), r


def test_unknown_owner_negative(tree):
    p = tree.file("nobody", 0o644)
    os.chown(p, 65534, 65534)  # nobody:nogroup exist in passwd and group
    tree.file("root", 0o644)
    r = scan(tree)[0]
    assert_clean(r)


# --- writable-executable ----------------------------------------------------------------

def test_writable_executable_positive(tree):
    tree.file("bin/gw", 0o775, SCRIPT)
    tree.file("bin/only-group-x", 0o670, SCRIPT)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("bin/gw", "writable-executable"), ("bin/only-group-x", "writable-executable")}, r
    assert reasons(r, tree.root)[("bin/gw", "writable-executable")] == "executable writable by group", r


def test_writable_executable_world(tree):
    tree.file("bin/ww", 0o777, SCRIPT)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("bin/ww", "writable-executable"), ("bin/ww", "world-writable-file")}, r
    assert reasons(r, tree.root)[("bin/ww", "writable-executable")] == "executable writable by group and others"


def test_writable_executable_negative(tree):
    tree.file("bin/ok", 0o755, SCRIPT)
    tree.file("bin/private", 0o700, SCRIPT)
    tree.file("data", 0o664)  # group-writable, not executable: not a default finding
    tree.dir("dir", 0o755)
    assert_clean(scan(tree)[0])


# --- device-outside-dev -----------------------------------------------------------------

def test_device_outside_dev_positive(tree):
    os.mknod(tree.path("null-copy"), 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    try:
        os.mknod(tree.path("loop-copy"), 0o600 | stat.S_IFBLK, os.makedev(7, 0))
        block = True
    except PermissionError:
        block = False
    r, f = scan(tree)
    assert r.rc == 1, r
    expected = {("null-copy", "device-outside-dev")} | ({("loop-copy", "device-outside-dev")} if block else set())
    assert f == expected, r
    why = reasons(r, tree.root)
    assert why[("null-copy", "device-outside-dev")] == "character device 1:3 outside /dev", r
    if block:
        assert why[("loop-copy", "device-outside-dev")] == "block device 7:0 outside /dev", r
    assert parse(r)[-1]["mode"] == "crw-r--r--", r


def test_device_outside_dev_negative(tree):
    os.mkfifo(tree.path("fifo"), 0o644)
    assert_clean(scan(tree)[0])
    # A device in /dev, given absolute or relative to the working directory.
    assert os.path.exists("/dev/null")
    assert_clean(permscan(roots=["/dev/null"]))
    assert_clean(permscan(roots=["null"], cwd="/dev"))


def test_device_root_given_as_file(tree):
    p = tree.path("dev-copy")
    os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    r = permscan(roots=[p])
    assert r.rc == 1, r
    assert findings(r, tree.root) == {("dev-copy", "device-outside-dev")}, r


# --- file-capabilities ------------------------------------------------------------------

SETCAP = shutil.which("setcap") or next((p for p in ("/usr/sbin/setcap", "/sbin/setcap") if os.path.exists(p)), None)


def setcap(path: Path, caps: str):
    if SETCAP is None:
        pytest.skip("setcap (libcap2-bin) is not installed")
    p = subprocess.run([SETCAP, caps, str(path)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"setcap failed here (no security xattrs on this file system?): {p.stderr.strip()}")


def test_file_capabilities_positive(tree):
    p = tree.file("bin/pinger", 0o755, SCRIPT)
    setcap(p, "cap_net_raw+ep")
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("bin/pinger", "file-capabilities")}, r
    reason = reasons(r, tree.root)[("bin/pinger", "file-capabilities")]
    assert "cap_net_raw" in reason, r
    assert reason == "carries file capabilities cap_net_raw=ep", r
    # The same file given as the root itself.
    r = permscan("--check=file-capabilities", roots=[p])
    assert r.rc == 1, r
    assert findings(r, tree.root) == {("bin/pinger", "file-capabilities")}, r


def test_file_capabilities_two_sets(tree):
    p = tree.file("bin/svc", 0o755, SCRIPT)
    setcap(p, "cap_net_bind_service,cap_net_raw+p cap_sys_admin+i")
    r, f = scan(tree)
    assert r.rc == 1, r
    reason = reasons(r, tree.root)[("bin/svc", "file-capabilities")]
    assert "cap_net_raw" in reason and "cap_net_bind_service" in reason and "cap_sys_admin" in reason, r


def test_file_capabilities_negative(tree):
    tree.file("bin/plain", 0o755, SCRIPT)
    assert_clean(scan(tree)[0])


# --- group-writable ---------------------------------------------------------------------

def group_tree(tree):
    tree.file("shared.txt", 0o664)
    tree.dir("team", 0o775)
    tree.file("private", 0o644)


def test_group_writable_not_by_default(tree):
    group_tree(tree)
    assert_clean(scan(tree)[0])


def test_group_writable_with_all(tree):
    group_tree(tree)
    r, f = scan(tree, "--all")
    assert r.rc == 1, r
    assert f == {("shared.txt", "group-writable"), ("team", "group-writable")}, r
    row = next(x for x in parse(r) if x["path"].endswith("/shared.txt"))
    assert row["reason"] == "writable by its group", r


def test_group_writable_with_check(tree):
    group_tree(tree)
    tree.file("ww", 0o666)  # world-writable too, but only group-writable is asked for
    r, f = scan(tree, "--check=group-writable")
    assert r.rc == 1, r
    assert f == {("shared.txt", "group-writable"), ("team", "group-writable"), ("ww", "group-writable")}, r


# --- output formats ---------------------------------------------------------------------

def test_text_line_exact(tree):
    tree.file("ww", 0o666, b"hello")
    r = permscan(roots=[tree.root])
    assert r.rc == 1, r
    assert r.out == f"-rw-rw-rw- 0666 root:root {tree.root}/ww  world-writable-file  " \
                    f"any user can change its content\n".encode(), r


def test_findings_sorted_by_path(tree):
    for name in ["c", "a", "b/z", "b/a"]:
        tree.file(name, 0o666)
    r, _ = scan(tree)
    paths = [rel(row["path"], tree.root) for row in parse(r)]
    assert paths == ["a", "b/a", "b/z", "c"], r


def test_json_fields(tree):
    p = tree.file("ww", 0o666, b"hello")
    os.utime(p, (1700000000, 1700000000))
    os.chown(p, 0, 54321)
    tree.symlink("dangling", "nowhere")
    r = permscan("--format", "json", roots=[tree.root])
    assert r.rc == 1, r
    objs = r.json_lines()
    by = {(rel(o["path"], tree.root), o["check"]): o for o in objs}
    assert set(by) == {("ww", "world-writable-file"), ("ww", "unknown-owner"),
                       ("dangling", "dangling-symlink")}, r
    o = by[("ww", "world-writable-file")]
    required = {"path", "check", "severity", "reason", "mode", "mode_symbolic", "uid", "gid", "owner", "group",
                "size", "mtime"}
    assert required <= set(o), f"missing fields {required - set(o)}: {o}"
    assert o["severity"] == "high"
    assert o["reason"] == "any user can change its content"
    assert o["mode"] in ("0666", "666", 0o666), o
    assert o["mode_symbolic"] == "-rw-rw-rw-"
    assert (o["uid"], o["gid"], o["owner"], o["group"]) == (0, 54321, "root", "54321"), o
    assert o["size"] == 5
    mtime = o["mtime"]
    if isinstance(mtime, str):
        mtime = datetime.datetime.fromisoformat(mtime.replace("Z", "+00:00")).timestamp()
    assert mtime == 1700000000, o
    for obj in objs:
        assert obj["severity"] == SEVERITY[obj["check"]], obj
        assert required <= set(obj), obj
    d = by[("dangling", "dangling-symlink")]
    assert d["mode_symbolic"].startswith("l"), d
    assert d.get("target") == "nowhere", d


def test_null_output_each_path_once(tree):
    tree.file("bin/both", 0o777, SCRIPT)  # world-writable-file and writable-executable
    tree.file("ww", 0o666)
    tree.file("ok", 0o644)
    r = permscan("-0", roots=[tree.root])
    assert r.rc == 1, r
    assert b"\n" not in r.out, r
    assert sorted(r.null_records()) == sorted([os.fsencode(tree.path("bin/both")), os.fsencode(tree.path("ww"))]), r


ODD_NAMES = [b"new\nline", b"bad\xff\xfe name", b"tab\there", b"caf\xc3\xa9 \xe2\x98\x83", b"ctl\x1b[31mred",
             b"lone\xed\xa0\x80surrogate"]


def make_odd(tree) -> dict:
    want = {}
    for name in ODD_NAMES:
        p = os.path.join(os.fsencode(tree.root), name)
        with open(p, "wb"):
            pass
        os.chmod(p, 0o666)
        want[p] = name
    return want


def test_odd_names_null(tree):
    want = make_odd(tree)
    r = permscan("-0", roots=[tree.root])
    assert r.rc == 1, r
    assert sorted(r.null_records()) == sorted(want), r
    for p in r.null_records():
        assert os.path.lexists(p), p  # each record names the file byte for byte


def test_odd_names_json(tree):
    want = make_odd(tree)
    r = permscan("--format=json", roots=[tree.root])
    assert r.rc == 1, r
    lines = r.out.split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == len(want), r  # no raw newline inside a record
    got = {o["path"].encode("utf-8", "surrogateescape") for o in r.json_lines()}
    assert got == set(want), r


def test_odd_names_fix_lines_run_in_sh(tree):
    want = make_odd(tree)
    r = permscan("--fix", roots=[tree.root])
    assert r.rc == 1, r
    sh = subprocess.run(["sh", "-e"], input=r.out, capture_output=True)
    assert sh.returncode == 0, (sh.stderr, r)
    for p in want:
        assert stat.S_IMODE(os.lstat(p).st_mode) == 0o664, p


# --- --summary --------------------------------------------------------------------------

def summary_tree(tree):
    tree.file("ww1", 0o666)
    tree.file("ww2", 0o646)
    tree.file("suid", 0o4755, SCRIPT)
    tree.symlink("gone", "nowhere")


def test_summary_text(tree):
    summary_tree(tree)
    r = permscan("--summary", roots=[tree.root])
    assert r.rc == 1, r
    counts = {}
    for line in r.lines():
        parts = line.split()
        assert parts, r
        counts[parts[0]] = int(parts[-1])
        if parts[0] != "total":
            assert parts[1] == SEVERITY[parts[0]], line
    assert counts.pop("total") == 4, r
    want = {c: 0 for c in DEFAULT_CHECKS}
    want.update({"world-writable-file": 2, "setuid": 1, "dangling-symlink": 1})
    assert counts == want, r


def test_summary_text_clean(tree):
    tree.file("ok", 0o644)
    r = permscan("--summary", roots=[tree.root])
    assert r.rc == 0, r
    counts = {line.split()[0]: int(line.split()[-1]) for line in r.lines()}
    assert counts == {**{c: 0 for c in DEFAULT_CHECKS}, "total": 0}, r


def test_summary_json(tree):
    summary_tree(tree)
    r = permscan("--summary", "--format=json", roots=[tree.root])
    assert r.rc == 1, r
    objs = r.json_lines()
    counts = {o["check"]: o["count"] for o in objs if o["check"] != "total"}
    want = {c: 0 for c in DEFAULT_CHECKS}
    want.update({"world-writable-file": 2, "setuid": 1, "dangling-symlink": 1})
    assert counts == want, r
    assert objs[-1] == {"check": "total", "count": 4}, r  # the totals last, as in text
    for o in objs:
        if o["check"] in SEVERITY:
            assert o["severity"] == SEVERITY[o["check"]], o


def test_summary_only_chosen_checks(tree):
    summary_tree(tree)
    r = permscan("--summary", "--check=setuid,group-writable", roots=[tree.root])
    assert r.rc == 1, r
    counts = {line.split()[0]: int(line.split()[-1]) for line in r.lines()}
    assert counts == {"setuid": 1, "group-writable": 1, "total": 2}, r  # ww1 0666 is group-writable


# --- --check / --skip / --min-severity --------------------------------------------------

def filter_tree(tree):
    tree.file("ww", 0o666)                 # world-writable-file, high
    tree.file("sgid", 0o2755, SCRIPT)       # setgid, medium
    tree.symlink("gone", "nowhere")         # dangling-symlink, low
    tree.file("gw", 0o664)                  # group-writable, low, not default


ALL_FILTER = {("ww", "world-writable-file"), ("sgid", "setgid"), ("gone", "dangling-symlink")}


@pytest.mark.parametrize("args,expected", [
    (["--check=setgid"], {("sgid", "setgid")}),
    (["--check=setgid,dangling-symlink"], {("sgid", "setgid"), ("gone", "dangling-symlink")}),
    (["--check", "setgid", "--check", "world-writable-file"], {("sgid", "setgid"), ("ww", "world-writable-file")}),
    (["--check=setuid"], set()),
    (["--skip=world-writable-file"], {("sgid", "setgid"), ("gone", "dangling-symlink")}),
    (["--skip=setgid,dangling-symlink"], {("ww", "world-writable-file")}),
    (["--min-severity=low"], ALL_FILTER),
    (["--min-severity=medium"], {("ww", "world-writable-file"), ("sgid", "setgid")}),
    (["--min-severity=high"], {("ww", "world-writable-file")}),
    (["--all", "--min-severity=medium"], {("ww", "world-writable-file"), ("sgid", "setgid")}),
    (["--all"], ALL_FILTER | {("gw", "group-writable"), ("ww", "group-writable")}),
    ([], ALL_FILTER),
], ids=["check", "check-list", "check-repeated", "check-none-found", "skip", "skip-list", "sev-low", "sev-medium",
        "sev-high", "all-sev-medium", "all", "default"])
def test_filters(tree, args, expected):
    filter_tree(tree)
    r, f = scan(tree, *args)
    assert f == expected, r
    assert r.rc == (1 if expected else 0), r
    assert r.err == "", r


def test_option_then_path(tree, tmp_path):
    """permscan --check ID PATH, and --exclude GLOB PATH, as a user types them: PATH is a
    tree to scan, not a second check id or glob."""
    tree.file("ww", 0o666)
    clean = tmp_path / "cwd"
    clean.mkdir(mode=0o755)
    r = permscan("--check", "world-writable-file", str(tree.root), cwd=clean)
    assert (r.rc, findings(r, tree.root)) == (1, {("ww", "world-writable-file")}), r
    r = permscan("--exclude", "*.bak", str(tree.root), cwd=clean)
    assert (r.rc, findings(r, tree.root)) == (1, {("ww", "world-writable-file")}), r


# --- --max-depth / --exclude / -x -------------------------------------------------------

def depth_tree(tree):
    os.chmod(tree.root, 0o777)
    tree.file("ww1", 0o666)
    tree.file("a/ww2", 0o666)
    tree.file("a/b/ww3", 0o666)


@pytest.mark.parametrize("depth,expected", [
    ("0", {"."}),
    ("1", {".", "ww1"}),
    ("2", {".", "ww1", "a/ww2"}),
    ("3", {".", "ww1", "a/ww2", "a/b/ww3"}),
])
def test_max_depth(tree, depth, expected):
    depth_tree(tree)
    r, f = scan(tree, "--max-depth", depth)
    assert r.rc == 1, r
    assert {p for p, _ in f} == expected, r


def test_max_depth_bad_value(tree):
    r = permscan("--max-depth=-1", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err.startswith("permscan: "), r


def exclude_tree(tree):
    tree.file("keep/ww", 0o666)
    tree.file("skipdir/ww", 0o666)
    tree.dir("skipdir/deeper", 0o777)
    tree.file("skipfile", 0o666)
    tree.file("x/data/ww", 0o666)
    tree.file("y/data/ww", 0o666)


def test_exclude_name_glob(tree):
    exclude_tree(tree)
    r, f = scan(tree, "--exclude=skip*")
    assert r.rc == 1, r
    assert {p for p, _ in f} == {"keep/ww", "x/data/ww", "y/data/ww"}, r


def test_exclude_path_glob(tree):
    exclude_tree(tree)
    r, f = scan(tree, f"--exclude={tree.root}/x/data")
    assert r.rc == 1, r
    assert {p for p, _ in f} == {"keep/ww", "skipdir/ww", "skipdir/deeper", "skipfile", "y/data/ww"}, r
    r, f = scan(tree, "--exclude=*/y/data", "--exclude=*/keep/*")
    assert {p for p, _ in f} == {"skipdir/ww", "skipdir/deeper", "skipfile", "x/data/ww"}, r


def test_exclude_nonmatching(tree):
    exclude_tree(tree)
    r, f = scan(tree, "--exclude=nothing*", "--exclude=/elsewhere/*")
    assert {p for p, _ in f} == {"keep/ww", "skipdir/ww", "skipdir/deeper", "skipfile", "x/data/ww",
                                 "y/data/ww"}, r


def test_one_file_system(tree, tmpfs):
    tree.file("outside-ww", 0o666)
    Tree(tmpfs).file("inside-ww", 0o666)
    Tree(tmpfs).dir("inside-dir", 0o777)
    r, f = scan(tree)
    assert r.rc == 1, r
    assert f == {("outside-ww", "world-writable-file"), ("mnt/inside-ww", "world-writable-file"),
                 ("mnt/inside-dir", "world-writable-dir")}, r
    for opt in ("-x", "--one-file-system"):
        r, f = scan(tree, opt)
        assert r.rc == 1, r
        assert f == {("outside-ww", "world-writable-file")}, r


# --- --fix ------------------------------------------------------------------------------

def fix_tree(tree):
    tree.file("ww", 0o666)
    tree.dir("wwdir", 0o777)
    tree.dir("home/.ssh", 0o755)
    tree.file("home/.ssh/id_rsa", 0o644, OPENSSH_KEY)
    tree.file("etc/server.key", 0o640, PEM_KEY)
    tree.file("bin/suid", 0o4755, SCRIPT)
    tree.file("bin/sgid", 0o2755, SCRIPT)
    tree.file("bin/gw", 0o775, SCRIPT)
    tree.symlink("gone", "nowhere")  # nothing to chmod


def fix_lines(tree, setid=False):
    r = tree.root
    lines = {f"chmod o-w {r}/ww", f"chmod o-w {r}/wwdir", f"chmod 700 {r}/home/.ssh",
             f"chmod 600 {r}/home/.ssh/id_rsa", f"chmod 600 {r}/etc/server.key", f"chmod go-w {r}/bin/gw"}
    if setid:
        lines |= {f"chmod u-s {r}/bin/suid", f"chmod g-s {r}/bin/sgid"}
    return lines


def test_fix_dry_run(tree):
    fix_tree(tree)
    before = tree.modes()
    r = permscan("--fix", roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    assert sorted(r.lines()) == sorted(fix_lines(tree)), r
    assert tree.modes() == before


def test_fix_dry_run_setid(tree):
    fix_tree(tree)
    before = tree.modes()
    r = permscan("--fix", "--fix-setid", roots=[tree.root])
    assert r.rc == 1, r
    assert sorted(r.lines()) == sorted(fix_lines(tree, setid=True)), r
    assert tree.modes() == before


def test_fix_apply(tree):
    fix_tree(tree)
    r = permscan("--fix", "--apply", roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    assert sorted(r.lines()) == sorted(fix_lines(tree)), r
    assert tree.mode("ww") == 0o664
    assert tree.mode("wwdir") == 0o775
    assert tree.mode("home/.ssh") == 0o700
    assert tree.mode("home/.ssh/id_rsa") == 0o600
    assert tree.mode("etc/server.key") == 0o600
    assert tree.mode("bin/gw") == 0o755
    assert tree.mode("bin/suid") == 0o4755  # set-id bits only with --fix-setid
    assert tree.mode("bin/sgid") == 0o2755
    # What is left: the set-id files and the dangling symlink, nothing to change any more.
    r2, f = scan(tree)
    assert f == {("bin/suid", "setuid"), ("bin/sgid", "setgid"), ("gone", "dangling-symlink")}, r2
    r3 = permscan("--fix", "--apply", roots=[tree.root])
    assert r3.out == b"", r3


def test_fix_apply_setid(tree):
    fix_tree(tree)
    r = permscan("--fix", "--apply", "--fix-setid", roots=[tree.root])
    assert r.rc == 1, r
    assert sorted(r.lines()) == sorted(fix_lines(tree, setid=True)), r
    assert tree.mode("bin/suid") == 0o755
    assert tree.mode("bin/sgid") == 0o755
    assert tree.mode("ww") == 0o664
    r2, f = scan(tree)
    assert f == {("gone", "dangling-symlink")}, r2


def test_fix_apply_world_writable_root(tree):
    os.chmod(tree.root, 0o777)
    r = permscan("--fix", "--apply", roots=[tree.root])
    assert r.rc == 1, r
    assert r.lines() == [f"chmod o-w {tree.root}"], r
    assert stat.S_IMODE(os.lstat(tree.root).st_mode) == 0o775


def test_fix_relative_root(tree):
    tree.file("ww", 0o666)
    r = permscan("--fix", "--apply", roots=["tree"], cwd=tree.root.parent)
    assert r.rc == 1, r
    assert r.lines() == ["chmod o-w tree/ww"], r
    assert tree.mode("ww") == 0o664


def test_deep_tree_beyond_path_max(tree):
    fd, deep = make_deep(tree.root, 120)
    try:
        os.close(os.open("ww", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
        os.chmod("ww", 0o666, dir_fd=fd)
        assert len(deep) > 4096
        r = permscan("-0", roots=[tree.root])
        assert r.rc == 1, r
        assert r.null_records() == [deep + b"/ww"], r
        r = permscan("--fix", "--apply", roots=[tree.root])
        assert r.err == "", r
        assert r.rc == 1, r
        assert r.out == b"chmod o-w " + deep + b"/ww\n", r
        assert stat.S_IMODE(os.stat("ww", dir_fd=fd, follow_symlinks=False).st_mode) == 0o664
    finally:
        os.close(fd)


def test_fix_quoting_runs_in_sh(tree):
    names = ["with space", "it's quoted", 'dq"and$dollar', "semi;colon && `tick`"]
    for n in names:
        tree.file(n, 0o666)
    r = permscan("--fix", roots=[tree.root])
    assert r.rc == 1, r
    assert len(r.lines()) == len(names), r
    for line in r.lines():
        assert line.startswith("chmod o-w '"), line  # quoted, not bare
        sh = subprocess.run(["sh", "-c", line], capture_output=True, text=True)
        assert sh.returncode == 0, (line, sh.stderr)
    for n in names:
        assert tree.mode(n) == 0o664, n
    assert tree.modes().keys() == {".", *names}  # sh created nothing (no split words, no command run)


def test_fix_does_not_follow_symlink_outside(tree, tmp_path):
    outside = Tree(tmp_path / "outside")
    target = outside.file("victim", 0o666)
    outside.dir("victim-dir", 0o777)
    outside.file("victim-dir/inner", 0o666)
    tree.symlink("link", str(target))
    tree.symlink("dirlink", str(outside.root / "victim-dir"))
    tree.symlink("rel-link", "../outside/victim")
    tree.file("own", 0o666)
    r = permscan("--fix", "--apply", roots=[tree.root])
    assert r.rc == 1, r
    assert r.lines() == [f"chmod o-w {tree.root}/own"], r
    assert tree.mode("own") == 0o664
    assert outside.mode("victim") == 0o666
    assert outside.mode("victim-dir") == 0o777
    assert outside.mode("victim-dir/inner") == 0o666


def test_apply_without_fix(tree):
    tree.file("ww", 0o666)
    r = permscan("--apply", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err.startswith("permscan: "), r
    assert "--apply" in r.err_lines()[0] or "--fix" in r.err_lines()[0], r
    assert tree.mode("ww") == 0o666


def test_fix_and_summary_conflict(tree):
    r = permscan("--fix", "--summary", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r


# --- bad input and exit status ----------------------------------------------------------

def test_exit_zero_clean_tree(tree):
    tree.file("a", 0o644)
    tree.dir("d", 0o755)
    tree.symlink("l", "a")
    assert_clean(permscan(roots=[tree.root]))


def test_exit_one_with_findings(tree):
    tree.file("a", 0o666)
    r = permscan(roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r


def test_missing_root(tree, tmp_path):
    tree.file("ww", 0o666)
    missing = tmp_path / "does-not-exist"
    for roots in ([missing, tree.root], [tree.root, missing]):
        r = permscan(roots=roots)
        assert r.rc == 2, r
        assert r.err == f"permscan: {missing}: No such file or directory\n", r
        assert findings(r, tree.root) == {("ww", "world-writable-file")}, r


def test_missing_roots_only(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    r = permscan(roots=[a, b])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert sorted(r.err_lines()) == sorted([f"permscan: {a}: No such file or directory",
                                            f"permscan: {b}: No such file or directory"]), r


def test_unreadable_directory(tree):
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    if not can_run_as_nobody(tool_path("permscan")):
        pytest.skip("the permscan binary is not executable by uid 65534")
    tree.file("a/ww", 0o666)
    tree.file("locked/inner/ww", 0o666)
    tree.file("z/ww", 0o666)
    tree.dir("z/deeper", 0o777)
    os.chmod(tree.path("locked"), 0o000)
    # Run from inside the tree: pytest's tmp_path ancestors are closed to other users.
    r = run_tool("permscan", ".", cwd=tree.root, user=65534)
    assert r.rc == 2, r
    assert r.err_lines() == ["permscan: ./locked: Permission denied"], r
    got = {(row["path"], row["check"]) for row in parse(r)}
    assert got == {("./a/ww", "world-writable-file"), ("./z/ww", "world-writable-file"),
                   ("./z/deeper", "world-writable-dir")}, r


@pytest.mark.parametrize("opt", ["--check", "--skip"])
def test_unknown_check_id(tree, opt):
    tree.file("ww", 0o666)
    r = permscan(f"{opt}=world-writable-file,no-such-check", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    first = r.err_lines()[0]
    assert first.startswith(f"permscan: {opt}: "), r
    assert "no-such-check" in first, r


def test_bad_min_severity(tree):
    tree.file("ww", 0o666)
    r = permscan("--min-severity=urgent", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    first = r.err_lines()[0]
    assert first.startswith("permscan: --min-severity: "), r
    assert "urgent" in first, r


def test_bad_format(tree):
    r = permscan("--format=xml", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err.startswith("permscan: "), r


def test_root_as_file_and_trailing_slash(tree):
    tree.file("sub/ww", 0o666)
    r = permscan(roots=[tree.path("sub/ww")])
    assert r.rc == 1, r
    assert r.lines()[0].endswith(f" {tree.root}/sub/ww  world-writable-file  any user can change its content"), r
    r = permscan(roots=[f"{tree.root}/sub/"])
    assert r.rc == 1, r
    assert findings(r, tree.root / "sub") == {("ww", "world-writable-file")}, r


def test_several_roots(tree, tmp_path):
    other = Tree(tmp_path / "other")
    tree.file("ww", 0o666)
    other.file("sgid", 0o2755, SCRIPT)
    r = permscan(roots=[tree.root, other.root])
    assert r.rc == 1, r
    paths = {row["path"] for row in parse(r)}
    assert paths == {f"{tree.root}/ww", f"{other.root}/sgid"}, r


def test_threads_option_gives_same_findings(tree):
    for i in range(30):
        tree.file(f"d{i % 5}/f{i}", 0o666 if i % 3 == 0 else 0o644)
    base, f1 = scan(tree, "-j", "1")
    assert base.rc == 1, base
    assert len(f1) == 10
    r, f4 = scan(tree, "--threads=4")
    assert r.out == base.out, r


# --- the benchmark corpus ---------------------------------------------------------------

MKCORPUS = REPO / "scripts" / "bench" / "mkcorpus.py"
CORPUS_CHECKS = {  # manifest key -> permscan check
    "world_writable_files": "world-writable-file",
    "world_writable_dirs_no_sticky": "world-writable-dir",
    "setuid": "setuid",
    "setgid": "setgid",
    "private_keys_readable": "exposed-secret",
    "dangling_symlinks": "dangling-symlink",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "c"
    p = subprocess.run(["/usr/bin/python3", str(MKCORPUS), str(out), "--files", "3000", "--dirs", "300",
                        "--scale", "0.05"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    r = run_tool("permscan", "--format=json", "tree", cwd=out)
    by_check = {}
    for o in r.json_lines():
        by_check.setdefault(o["check"], set()).add(o["path"])
    return manifest, r, by_check


@pytest.mark.parametrize("key", CORPUS_CHECKS)
def test_corpus_matches_manifest(corpus, key):
    manifest, r, by_check = corpus
    assert r.rc == 1, r
    assert r.err == "", r
    want = set(manifest[key])
    got = by_check.get(CORPUS_CHECKS[key], set())
    assert want, f"the corpus planted no {key}"
    assert got == want, f"{CORPUS_CHECKS[key]}: missing {sorted(want - got)[:10]}, extra {sorted(got - want)[:10]}"


def test_corpus_nothing_else(corpus):
    _, r, by_check = corpus
    assert set(by_check) <= set(CORPUS_CHECKS.values()), {c: sorted(p)[:5] for c, p in by_check.items()
                                                          if c not in CORPUS_CHECKS.values()}


# --- terminals: escaping, colour, progress ----------------------------------------------

def run_on_tty(*args, tty="stdout", env=None):
    """permscan ARGS with stdout (or stderr) on a pseudo-terminal; returns a Result with
    what the terminal received in out (stdout) or err (stderr)."""
    argv = [str(tool_path("permscan")), *map(str, args)]
    rc, got, out, err = on_terminal(argv, (tty,), env=env)
    if tty == "stdout":
        r = Result(argv, rc, got, err.decode("utf-8", "surrogateescape"))
    else:
        r = Result(argv, rc, out, got.decode("utf-8", "surrogateescape"))
    assert_no_sanitizer_report(r)
    return r


def test_terminal_output_escapes_names(tree):
    name = b"evil\x1b[2J\x07name\nnext\xff"
    p = os.path.join(os.fsencode(tree.root), name)
    open(p, "wb").close()
    os.chmod(p, 0o666)
    r = run_on_tty("--color=never", "--", tree.root)
    assert r.rc == 1, r
    assert b"\x1b" not in r.out and b"\x07" not in r.out, r
    assert r.out.count(b"\n") == 1, r  # the name's newline does not break the record
    assert b"evil\\033[2J\\007name\\nnext\\xff  world-writable-file" in r.out, r
    # Not on a terminal: the name as it is, byte for byte.
    r = permscan("--color=never", roots=[tree.root])
    assert os.fsencode(tree.root) + b"/" + name + b"  world-writable-file" in r.out, r


def test_color(tree):
    tree.file("ww", 0o666)
    colored = b"\x1b[1;31mworld-writable-file\x1b[0m"
    r = permscan("--color=always", roots=[tree.root])
    assert r.rc == 1 and colored in r.out, r
    for args in (["--color=never"], []):
        r = permscan(*args, roots=[tree.root])
        assert r.rc == 1 and b"\x1b" not in r.out, r
    r = run_on_tty("--", tree.root)
    assert r.rc == 1 and colored in r.out, r
    r = run_on_tty("--", tree.root, env={"NO_COLOR": "1"})
    assert r.rc == 1 and b"\x1b" not in r.out, r
    r = run_on_tty("--color=never", "--", tree.root)
    assert r.rc == 1 and b"\x1b" not in r.out, r


def test_quiet_on_terminal_stderr(tree):
    tree.file("ww", 0o666)
    r = run_on_tty("--quiet", "--", tree.root, tty="stderr")
    assert r.rc == 1, r
    assert r.err == "", r
    assert findings(r, tree.root) == {("ww", "world-writable-file")}, r


def test_unsearchable_directory_entries_are_reported(tree):
    """A directory that can be listed but not searched (r--): its entries cannot be
    statx'ed; each is named on stderr instead of silently dropped."""
    if shutil.which("setpriv") is None or not can_run_as_nobody(tool_path("permscan")):
        pytest.skip("cannot run permscan as uid 65534 here")
    tree.file("listable/ww", 0o666)
    tree.file("other/ww", 0o666)
    os.chmod(tree.path("listable"), 0o444)
    r = run_tool("permscan", ".", cwd=tree.root, user=65534)
    assert r.rc == 2, r
    assert r.err_lines() == ["permscan: ./listable/ww: Permission denied"], r
    assert {(row["path"], row["check"]) for row in parse(r)} == {("./other/ww", "world-writable-file")}, r


def test_fix_merges_one_path_into_one_chmod(tree):
    tree.file("bin/open", 0o777, SCRIPT)
    tree.file("key.pem", 0o666, PEM_KEY)
    r = permscan("--fix", "--apply", roots=[tree.root])
    assert r.rc == 1, r
    assert sorted(r.lines()) == sorted([f"chmod go-w {tree.root}/bin/open", f"chmod 600 {tree.root}/key.pem"]), r
    assert tree.mode("bin/open") == 0o755
    assert tree.mode("key.pem") == 0o600


def test_fix_json(tree):
    tree.file("ww", 0o666)
    dry = permscan("--fix", "--format", "json", roots=[tree.root])
    assert dry.rc == 1, dry
    assert dry.json_lines() == [{"path": f"{tree.root}/ww", "chmod": "o-w", "mode": "0666",
                                 "new_mode": "0664", "applied": False}], dry
    assert tree.mode("ww") == 0o666
    done = permscan("--fix", "--apply", "--format", "json", roots=[tree.root])
    assert done.json_lines() == [{"path": f"{tree.root}/ww", "chmod": "o-w", "mode": "0666",
                                  "new_mode": "0664", "applied": True}], done
    assert tree.mode("ww") == 0o664


@pytest.mark.parametrize("other", ["--fix", "--summary"])
def test_null_with_fix_or_summary_is_a_usage_error(tree, other):
    r = permscan("-0", other, roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines()[0].startswith("permscan: "), r


# --- directory loops made by bind mounts -------------------------------------------------------

def test_bind_mount_of_an_ancestor_is_a_loop_skipped_with_a_warning(tree):
    """In a tmpfs: t/sub/loop is t again.  Scanned once, the loop named in find's words; a
    warning, not trouble: what permscan finds decides its status, as without the mount."""
    with mounted_tmpfs(tree.dir("mnt", 0o755), "4m") as mnt:
        t = Tree(mnt / "t")
        t.file("open", 0o666)
        t.file("sub/fine", 0o644)
        t.dir("sub/loop", 0o755)
        with bind_mounted(t.root, t.path("sub/loop")):
            r, f = scan(t)
    assert r.rc == 1, r
    assert f == {("open", "world-writable-file")}, r
    assert r.err_lines() == [f"permscan: {t.root}/sub/loop: File system loop detected; it is {t.root} again"], r

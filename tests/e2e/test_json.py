"""The JSON vocabulary every tool shares (syskit(7), JSON): times in RFC 3339, UTC, with "Z";
sizes as numbers of bytes; names escaped the one lossless way; a summary as one object with
its totals, last.  Each tool that writes JSON (or logfmt) runs here on one tree, and every
field it wrote is checked."""
import json
import os
import re
import subprocess

import pytest

from conftest import run_tool, tool_env, tool_path, wait_until

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
TIME_KEYS = {"time", "mtime", "ctime", "atime"}
SIZE_KEYS = {"size", "bytes", "reclaimable_bytes"}
NAME = b"odd \xff\nname"  # not UTF-8, and a newline: escaped as \udcff and \n by every tool
NAME_JSON = 'odd \\udcff\\nname"'  # the name's end in a JSON string'


def check_fields(obj, where: str) -> None:
    """Every time RFC 3339 in UTC with Z, every size a whole number, all the way down."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for key, value in items:
        if isinstance(value, (dict, list)):
            check_fields(value, where)
        if key in TIME_KEYS or (isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value)):
            assert isinstance(value, str) and RFC3339_UTC.fullmatch(value), f"{where}: {key}={value!r}"
        if key in SIZE_KEYS:
            assert isinstance(value, int) and not isinstance(value, bool) and value >= 0, f"{where}: {key}={value!r}"


def json_records(out: bytes, where: str) -> list:
    assert out.endswith(b"\n"), f"{where}: {out[-200:]!r}"
    objs = [json.loads(line) for line in out.split(b"\n")[:-1]]
    for o in objs:
        assert isinstance(o, dict), f"{where}: {o!r}"
        check_fields(o, where)
    return objs


@pytest.fixture
def t(tmp_path):
    """Two copies of a file, one world-writable, one with an odd name; a log to rotate."""
    d = tmp_path / "t"
    d.mkdir()
    data = b"syskit json\n" * 500
    (d / "a").write_bytes(data)
    os.chmod(d / "a", 0o777)
    with open(os.path.join(os.fsencode(d), NAME), "wb") as f:
        f.write(data)
    (tmp_path / "app.log").write_bytes(b"hello\n")
    return tmp_path


def test_permscan_times_and_names(t):
    r = run_tool("permscan", "--format", "json", "t", cwd=t)
    assert r.rc == 1, r
    objs = json_records(r.out, "permscan")
    assert {o["path"] for o in objs} >= {"t/a"}, r
    assert all(RFC3339_UTC.fullmatch(o["mtime"]) for o in objs), r
    s = run_tool("permscan", "--summary", "--format", "json", "t", cwd=t)
    summary = json_records(s.out, "permscan --summary")
    assert summary[-1]["check"] == "total" and summary[-1]["count"] == len(objs), s


def test_dirsize_and_dupfind_sizes_names_and_totals(t):
    r = run_tool("dirsize", "--format", "json", "-a", "-c", "t", cwd=t)
    assert r.rc == 0, r
    objs = json_records(r.out, "dirsize")
    assert b"/" + NAME_JSON.encode() in r.out, r
    assert objs[-1]["total"] is True and objs[-1]["size"] == sum(o["size"] for o in objs if o.get("depth") == 0), r
    r = run_tool("dupfind", "--format", "json", "t", cwd=t)
    assert r.rc == 1, r
    (group,) = json_records(r.out, "dupfind")
    assert b"/" + NAME_JSON.encode() in r.out, r
    assert group["size"] == 6000, r
    r = run_tool("dupfind", "--summary", "--format", "json", "t", cwd=t)
    (summary,) = json_records(r.out, "dupfind --summary")
    assert summary["reclaimable_bytes"] == 6000, r


def test_inwatch_times_and_names(t):
    argv = [os.fspath(tool_path("inwatch")), "--format", "json", "-t", "10", "t"]
    p = subprocess.Popen(argv, cwd=t, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env())
    try:
        def watching():
            for fd in os.listdir(f"/proc/{p.pid}/fd"):
                try:
                    if os.readlink(f"/proc/{p.pid}/fd/{fd}") == "anon_inode:inotify":
                        with open(f"/proc/{p.pid}/fdinfo/{fd}") as f:
                            return "inotify wd:" in f.read()
                except OSError:
                    pass
            return False
        assert wait_until(watching, 10), "inwatch did not start watching"
        with open(os.path.join(os.fsencode(t / "t"), b"new " + NAME), "wb"):
            pass
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, (out, err)
    (o,) = json_records(out, "inwatch")
    assert out.startswith(b'{"path":"t/new ' + NAME_JSON.encode()), out
    assert o["time"].endswith("Z"), o


@pytest.mark.parametrize("fmt", ["json", "logfmt"])
def test_log_lines_times(t, fmt):
    r = run_tool("logroll", "--once", "--dry-run", "--log-format", fmt, "app.log", "--size", "1", cwd=t)
    assert r.rc == 0, r
    (line,) = r.err_lines()
    if fmt == "json":
        o = json.loads(line)
        check_fields(o, "logroll log")
        assert RFC3339_UTC.fullmatch(o["time"]), line
    else:
        m = re.match(r"time=(\S+) ", line)
        assert m and RFC3339_UTC.fullmatch(m.group(1)), line

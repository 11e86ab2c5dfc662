"""End-to-end tests of inwatch: the built binary watching directories each test makes in tmp_path.

inwatch runs in the background (subprocess.Popen) with its stdout and stderr in files, and
always from tmp_path with the relative path "w", so that lines read like "w/f CREATE".  A
test waits for it to be ready by reading its inotify descriptor's watches in
/proc/PID/fdinfo (one "inotify wd:" line per watch) and its main thread's state in
/proc/PID/wchan: once the watches are all there and it waits in epoll_wait(2), its set-up is
over and the kernel queues every later event for it, so nothing the test does afterwards can
be missed, and no probe event or fixed sleep is needed.  Every wait polls with a generous
limit (the machines running these tests are loaded); a test that expects nothing more waits
a fixed settle before it stops the watcher.  The watcher is always stopped, or killed, in a
finally.

Tests that change /proc/sys/fs/inotify limits restore them in a finally, and lower them only
for the moment that matters: max_queued_events is read when inotify_init1 is called, so it
goes back as soon as the watcher is up."""
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import Result, assert_no_sanitizer_report, tool_env, tool_path, wait_until

SETTLE = 1.0      # seconds to wait for events that must not come
LIMIT = 10.0      # seconds to wait for what must come
INOTIFY = Path("/proc/sys/fs/inotify")


# --- helpers ----------------------------------------------------------------------------

def watch_count(pid: int) -> int | None:
    """The watches held by pid's inotify descriptors, or None when it has none (yet)."""
    total, found = 0, False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                total += sum(1 for line in f if line.startswith("inotify wd:"))
            found = True
        except OSError:
            continue
    return total if found else None


def in_event_loop(pid: int) -> bool:
    """Whether pid's main thread waits in epoll_wait(2): libuv's loop, idle, set-up over."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            if f.read().strip() == "do_epoll_wait":
                return True
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split(" ", 1)[0] in ("232", "281", "441")  # x86-64 epoll_wait, _pwait, _pwait2
    except OSError:
        return False


def process_gone(pid: int) -> bool:
    """Whether pid has exited (a zombie that nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            line = f.read()
    except OSError:
        return True
    return line[line.rfind(")") + 2] == "Z"


class Inwatch:
    """inwatch ARGS running in the background, from cwd, with stdout and stderr in files."""

    count = 0

    def __init__(self, cwd: Path, *args, env: dict | None = None):
        Inwatch.count += 1
        self.cwd = cwd
        self.out_path = cwd / f"inwatch-{Inwatch.count}.out"
        self.err_path = cwd / f"inwatch-{Inwatch.count}.err"
        self.argv = [os.fspath(tool_path("inwatch"))] + [a if isinstance(a, bytes) else os.fspath(a)
                                                          if isinstance(a, Path) else str(a) for a in args]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=tool_env(env))
        self.started = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ready(self, watches: int = 1, limit: float = LIMIT) -> "Inwatch":
        """Waits until it holds at least `watches` inotify watches and waits for events in its loop."""
        ok = wait_until(lambda: ((watch_count(self.pid) or 0) >= watches and in_event_loop(self.pid))
                        or self.proc.poll() is not None, limit)
        assert self.proc.poll() is None, f"inwatch exited early:\n{self.result()}"
        assert ok, f"inwatch holds {watch_count(self.pid)} watches, not {watches}, after {limit} s"
        return self

    def out(self) -> bytes:
        return self.out_path.read_bytes()

    def text(self) -> str:
        return self.out().decode("utf-8", "surrogateescape")

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def json(self) -> list[dict]:
        data = self.out()
        return [json.loads(line) for line in data.split(b"\n")[:-1]]  # a partial last line waits

    def wait_for(self, pred, limit: float = LIMIT) -> bool:
        """Polls pred(self) until it holds or limit seconds passed."""
        return wait_until(lambda: pred(self), limit)

    def wait_line(self, line: str, limit: float = LIMIT) -> None:
        assert self.wait_for(lambda w: line in w.lines(), limit), f"no line {line!r} after {limit} s:\n{self.result()}"

    def result(self) -> Result:
        return Result(self.argv, self.proc.returncode if self.proc.returncode is not None else -999, self.out(),
                      self.err_path.read_bytes().decode("utf-8", "surrogateescape"))

    def wait(self, limit: float = LIMIT) -> Result:
        """Waits for it to exit by itself; fails the test when it does not."""
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"inwatch still running after {limit} s:\n{self.result()}")
        r = self.result()
        assert_no_sanitizer_report(r)
        return r

    def stop(self, sig: int = signal.SIGTERM, limit: float = LIMIT) -> Result:
        """Sends sig and waits for it to exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(limit)


@pytest.fixture
def w(tmp_path) -> Path:
    """The watched directory, tmp_path/w; tests run inwatch from tmp_path and name it 'w'."""
    d = tmp_path / "w"
    d.mkdir()
    return d


def touch(p, data: bytes = b"") -> None:
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        if data:
            os.write(fd, data)
    finally:
        os.close(fd)


def creates(objs: list[dict]) -> list[str]:
    return [o["path"] for o in objs if "CREATE" in o["events"]]


def inwatch_run(cwd: Path, *args, limit: float = LIMIT) -> Result:
    with Inwatch(cwd, *args) as iw:
        return iw.wait(limit)


# --- every event type, one-shot -----------------------------------------------------------

def _prep_file(t: Path):
    (t / "w" / "f").write_bytes(b"data\n")


def _outside(t: Path):
    _prep_file(t)
    (t / "outside").mkdir()
    (t / "outside" / "g").write_bytes(b"x")


EVENT_CASES = [
    # (-e value, what to watch, set-up, action, the one line expected)
    ("create", "w", None, lambda t: touch(t / "w" / "new"), "w/new CREATE"),
    ("modify", "w", _prep_file, lambda t: (t / "w" / "f").open("ab").write(b"more"), "w/f MODIFY"),
    ("attrib", "w", _prep_file, lambda t: os.chmod(t / "w" / "f", 0o600), "w/f ATTRIB"),
    ("close_write", "w", _prep_file, lambda t: (t / "w" / "f").open("ab").close(), "w/f CLOSE_WRITE"),
    ("close_nowrite", "w", _prep_file, lambda t: (t / "w" / "f").open("rb").close(), "w/f CLOSE_NOWRITE"),
    ("close", "w", _prep_file, lambda t: (t / "w" / "f").open("rb").close(), "w/f CLOSE_NOWRITE"),
    ("open", "w", _prep_file, lambda t: (t / "w" / "f").open("rb").close(), "w/f OPEN"),
    ("access", "w", _prep_file, lambda t: (t / "w" / "f").read_bytes(), "w/f ACCESS"),
    ("delete", "w", _prep_file, lambda t: os.unlink(t / "w" / "f"), "w/f DELETE"),
    ("moved_from", "w", _outside, lambda t: os.rename(t / "w" / "f", t / "outside" / "f"), "w/f MOVED_FROM"),
    ("moved_to", "w", _outside, lambda t: os.rename(t / "outside" / "g", t / "w" / "g"), "w/g MOVED_TO"),
    ("move", "w", _prep_file, lambda t: os.rename(t / "w" / "f", t / "w" / "g"), "w/f MOVED_FROM,MOVED_TO w/g"),
    ("delete_self", "w/f", _prep_file, lambda t: os.unlink(t / "w" / "f"), "w/f DELETE_SELF"),
    ("move_self", "w/f", _prep_file, lambda t: os.rename(t / "w" / "f", t / "w" / "g"), "w/f MOVE_SELF"),
    ("all", "w", None, lambda t: os.mkdir(t / "w" / "sub"), "w/sub CREATE,ISDIR"),
]


@pytest.mark.parametrize("event,target,prep,action,expected", EVENT_CASES, ids=[c[0] for c in EVENT_CASES])
def test_event_type_one_shot(tmp_path, w, event, target, prep, action, expected):
    if prep:
        prep(tmp_path)
    with Inwatch(tmp_path, "-e", event, target) as iw:
        iw.ready(1)
        action(tmp_path)
        r = iw.wait()
    assert r.rc == 0, r
    assert r.text == expected + "\n", r
    if event == "delete_self":  # the kernel then removes the watch (IN_IGNORED): said on stderr
        assert r.err in ("", "inwatch: w/f: no longer watched: it was deleted, moved away or unmounted\n"), r
    else:
        assert r.err == "", r


def test_default_events_in_order(tmp_path, w):
    """The default mask (everything but open, access and close_nowrite), in the kernel's order."""
    with Inwatch(tmp_path, "-m", "w") as iw:
        iw.ready(1)
        touch(w / "f", b"hello")
        os.chmod(w / "f", 0o600)
        (w / "f").read_bytes()  # access, open, close_nowrite: not by default
        os.rename(w / "f", w / "g")
        os.unlink(w / "g")
        os.mkdir(w / "sub")
        os.rmdir(w / "sub")
        iw.wait_line("w/sub DELETE,ISDIR")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.rc == 0, r
    assert r.lines() == ["w/f CREATE", "w/f MODIFY", "w/f CLOSE_WRITE", "w/f ATTRIB",
                         "w/f MOVED_FROM,MOVED_TO w/g", "w/g DELETE",
                         "w/sub CREATE,ISDIR", "w/sub DELETE,ISDIR"], r
    assert r.err == "", r


def test_several_event_options_add_up(tmp_path, w):
    (w / "f").write_bytes(b"x")
    with Inwatch(tmp_path, "-m", "-e", "delete", "-e", "attrib,create", "w") as iw:
        iw.ready(1)
        os.chmod(w / "f", 0o600)
        (w / "f").open("ab").write(b"y")  # modify, close_write: not asked for
        os.unlink(w / "f")
        touch(w / "g")
        iw.wait_line("w/g CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/f ATTRIB", "w/f DELETE", "w/g CREATE"], r


def test_watch_a_file(tmp_path, w):
    (w / "f").write_bytes(b"x")
    (w / "other").write_bytes(b"x")
    with Inwatch(tmp_path, "-m", "-e", "modify", "w/f") as iw:
        iw.ready(1)
        (w / "other").open("ab").write(b"y")
        (w / "f").open("ab").write(b"y")
        iw.wait_line("w/f MODIFY")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/f MODIFY"], r


# --- recursion ---------------------------------------------------------------------------

def test_recursive_watches_existing_tree(tmp_path, w):
    (w / "a" / "b" / "c").mkdir(parents=True)
    (w / "x").mkdir()
    with Inwatch(tmp_path, "-m", "-r", "-e", "create", "w") as iw:
        iw.ready(5)
        touch(w / "a" / "b" / "c" / "deep")
        touch(w / "x" / "f")
        iw.wait_line("w/x/f CREATE")
        iw.wait_line("w/a/b/c/deep CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert sorted(r.lines()) == ["w/a/b/c/deep CREATE", "w/x/f CREATE"], r


def test_not_recursive_without_r(tmp_path, w):
    (w / "sub").mkdir()
    with Inwatch(tmp_path, "-m", "-e", "create", "w") as iw:
        iw.ready(1)
        time.sleep(0.2)
        assert watch_count(iw.pid) == 1
        touch(w / "sub" / "f")
        touch(w / "top")
        iw.wait_line("w/top CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/top CREATE"], r


def test_recursive_new_directories_are_watched(tmp_path, w):
    with Inwatch(tmp_path, "-m", "-r", "w") as iw:
        iw.ready(1)
        os.mkdir(w / "sub")
        iw.wait_line("w/sub CREATE,ISDIR")
        assert iw.wait_for(lambda _: watch_count(iw.pid) == 2), watch_count(iw.pid)
        touch(w / "sub" / "f")
        iw.wait_line("w/sub/f CREATE")
        os.mkdir(w / "sub" / "deeper")
        iw.wait_line("w/sub/deeper CREATE,ISDIR")
        assert iw.wait_for(lambda _: watch_count(iw.pid) == 3), watch_count(iw.pid)
        touch(w / "sub" / "deeper" / "g")
        iw.wait_line("w/sub/deeper/g CREATE")
        r = iw.stop()
    assert r.rc == 0, r
    assert r.err == "", r


def test_recursive_moved_in_directory(tmp_path, w):
    """A directory moved in from outside: MOVED_TO, its content as synthetic creates, watched."""
    src = tmp_path / "outside" / "x"
    (src / "y").mkdir(parents=True)
    (src / "y" / "z").write_bytes(b"z")
    (src / "top").write_bytes(b"t")
    with Inwatch(tmp_path, "-m", "-r", "--format", "json", "w") as iw:
        iw.ready(1)
        os.rename(src, w / "x")
        assert iw.wait_for(lambda w_: {"w/x/y", "w/x/y/z", "w/x/top"} <= set(creates(w_.json()))), iw.result()
        assert iw.wait_for(lambda _: watch_count(iw.pid) == 3), watch_count(iw.pid)
        touch(w / "x" / "y" / "new")
        assert iw.wait_for(lambda w_: "w/x/y/new" in creates(w_.json())), iw.result()
        time.sleep(SETTLE)
        r = iw.stop()
    objs = r.json_lines()
    moved = [o for o in objs if o["path"] == "w/x" and "MOVED_TO" in o["events"]]
    assert len(moved) == 1 and moved[0]["is_dir"] is True and "from" not in moved[0], r
    synthetic = {o["path"]: o for o in objs if o.get("synthetic")}
    assert set(synthetic) == {"w/x/y", "w/x/y/z", "w/x/top"}, r
    assert synthetic["w/x/y"]["is_dir"] is True and synthetic["w/x/y/z"]["is_dir"] is False, r
    assert all(o["events"] == ["CREATE"] for o in synthetic.values()), r
    new = [o for o in objs if o["path"] == "w/x/y/new" and "CREATE" in o["events"]]
    assert len(new) == 1 and "synthetic" not in new[0], r
    assert r.err == "", r


def test_no_gap_in_new_directories(tmp_path, w):
    """mkdir -p a/b/c && touch a/b/c/f in one quick burst, many times: each create once."""
    n = 40
    with Inwatch(tmp_path, "-m", "-r", "-e", "create", "--format", "json", "w") as iw:
        iw.ready(1)
        for i in range(n):
            os.makedirs(w / f"a{i}" / "b" / "c")
            touch(w / f"a{i}" / "b" / "c" / "f")
        expected = {f"w/a{i}{s}" for i in range(n) for s in ("", "/b", "/b/c", "/b/c/f")}
        iw.wait_for(lambda w_: expected <= set(creates(w_.json())))
        time.sleep(SETTLE)
        r = iw.stop()
    got = creates(r.json_lines())
    assert set(got) == expected, f"missing {sorted(expected - set(got))[:10]}, extra {sorted(set(got) - expected)[:10]}"
    dups = sorted({p for p in got if got.count(p) > 1})
    assert not dups, f"reported more than once: {dups[:10]}\n{r}"


def test_no_gap_shell_mkdir_p(tmp_path, w):
    """The same with the shell commands themselves, text output: f exactly once."""
    with Inwatch(tmp_path, "-m", "-r", "-e", "create", "w") as iw:
        iw.ready(1)
        subprocess.run(["sh", "-c", "mkdir -p w/a/b/c && touch w/a/b/c/f"], cwd=tmp_path, check=True)
        iw.wait_line("w/a/b/c/f CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert sorted(r.lines()) == ["w/a CREATE,ISDIR", "w/a/b CREATE,ISDIR", "w/a/b/c CREATE,ISDIR",
                                 "w/a/b/c/f CREATE"], r


def test_new_directory_gives_the_events_asked_for_not_only_create(tmp_path, w):
    """The man page's own -e close_write,delete,move: a file written in a new directory is
    reported with its close_write, in each of 15 trials (the issue saw 0 of 15)."""
    n = 15
    with Inwatch(tmp_path, "-m", "-r", "-e", "close_write,delete,move", "w") as iw:
        iw.ready(1)
        for i in range(n):
            os.makedirs(w / f"a{i}" / "b" / "c")
            (w / f"a{i}" / "b" / "c" / "f").write_bytes(b"data\n")
        expected = {f"w/a{i}/b/c/f CLOSE_WRITE" for i in range(n)}
        iw.wait_for(lambda w_: expected <= set(w_.lines()))
        time.sleep(SETTLE)
        r = iw.stop()
    missing = expected - set(r.lines())
    assert not missing, f"{len(missing)} of {n} never reported, e.g. {sorted(missing)[:3]}\n{r}"
    # Only what was asked for, and a close_write at most twice (scan and kernel, when the
    # scan found the file still open).
    assert set(r.lines()) == expected, r
    assert all(r.lines().count(line) <= 2 for line in expected), r


def test_new_directory_scan_synthesizes_the_selected_kinds(tmp_path, w):
    """Everything made in a new directory while the watcher is stopped is found by its scan:
    create, modify (not empty) and close_write, each only when selected, marked synthetic,
    per file in the kernel's order.  w/zz's delete, queued after, marks the end."""
    found = [("w/a/b", "CREATE"), ("w/a/b/f", "CREATE"), ("w/a/b/f", "MODIFY"), ("w/a/b/f", "CLOSE_WRITE"),
             ("w/a/b/empty", "CREATE"), ("w/a/b/empty", "CLOSE_WRITE")]
    for events in ("close_write,delete,move", "modify,delete", "create,delete", "all",
                   "attrib,open,access,close_nowrite,delete"):
        shutil.rmtree(w / "a", ignore_errors=True)
        with Inwatch(tmp_path, "-m", "-r", "-e", events, "--format", "json", "w") as iw:
            iw.ready(1)
            os.kill(iw.pid, signal.SIGSTOP)
            try:
                (w / "a" / "b").mkdir(parents=True)
                (w / "a" / "b" / "f").write_bytes(b"data\n")
                touch(w / "a" / "b" / "empty")
                touch(w / "zz")
                os.unlink(w / "zz")
            finally:
                os.kill(iw.pid, signal.SIGCONT)
            assert iw.wait_for(lambda w_: any(o["path"] == "w/zz" and "DELETE" in o["events"] for o in w_.json())), \
                iw.result()
            r = iw.stop()
        selected = {"all": {"CREATE", "MODIFY", "CLOSE_WRITE"}}.get(events, set(events.upper().split(",")))
        synthetic = [(o["path"], ",".join(e for e in o["events"] if e != "ISDIR")) for o in r.json_lines()
                     if o.get("synthetic")]
        assert synthetic == [p for p in found if p[1] in selected], r


def test_directory_moved_in_gets_synthetic_creates_only(tmp_path, w):
    """What a directory moved into the tree holds was written elsewhere: creates, no close_write."""
    (tmp_path / "out" / "d").mkdir(parents=True)
    (tmp_path / "out" / "d" / "f").write_bytes(b"data\n")
    with Inwatch(tmp_path, "-m", "-r", "-e", "create,modify,close_write,moved_to", "w") as iw:
        iw.ready(1)
        os.rename(tmp_path / "out" / "d", w / "d")
        iw.wait_line("w/d/f CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/d MOVED_TO,ISDIR", "w/d/f CREATE"], r


# --- moves -------------------------------------------------------------------------------

def test_move_paired_text_and_json(tmp_path, w):
    (w / "f").write_bytes(b"x")
    (w / "d").mkdir()
    with Inwatch(tmp_path, "-m", "-r", "-e", "move", "w") as iw:
        iw.ready(2)
        os.rename(w / "f", w / "g")
        iw.wait_line("w/f MOVED_FROM,MOVED_TO w/g")
        os.rename(w / "d", w / "e")
        iw.wait_line("w/d MOVED_FROM,MOVED_TO,ISDIR w/e")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/f MOVED_FROM,MOVED_TO w/g", "w/d MOVED_FROM,MOVED_TO,ISDIR w/e"], r
    (w / "g").rename(w / "f")
    with Inwatch(tmp_path, "-m", "-e", "move", "--format", "json", "w") as iw:
        iw.ready(1)
        os.rename(w / "f", w / "h")
        iw.wait_for(lambda w_: len(w_.json()) >= 1)
        time.sleep(SETTLE)
        r = iw.stop()
    objs = r.json_lines()
    assert len(objs) == 1, r
    o = objs[0]
    assert (o["path"], o["from"], o["to"], o["events"], o["is_dir"]) == \
        ("w/h", "w/f", "w/h", ["MOVED_FROM", "MOVED_TO"], False), r


def test_directory_move_updates_paths(tmp_path, w):
    (w / "a" / "b").mkdir(parents=True)
    with Inwatch(tmp_path, "-m", "-r", "-e", "create,move", "w") as iw:
        iw.ready(3)
        os.rename(w / "a", w / "z")
        iw.wait_line("w/a MOVED_FROM,MOVED_TO,ISDIR w/z")
        touch(w / "z" / "b" / "f")
        touch(w / "z" / "g")
        iw.wait_line("w/z/b/f CREATE")
        iw.wait_line("w/z/g CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert not any(line.startswith("w/a/") for line in r.lines()), r


def test_directory_created_then_renamed_at_once_is_watched(tmp_path, w):
    """mkdir x && mv x y before inwatch handles the create: y must still be watched.
    (The create's scan finds no x; the paired move must then watch y.)  The watcher is
    stopped meanwhile, so that it reads the create only after the rename."""
    with Inwatch(tmp_path, "-m", "-r", "-e", "create", "w") as iw:
        iw.ready(1)
        os.kill(iw.pid, signal.SIGSTOP)
        try:
            for i in range(5):
                os.mkdir(w / f"x{i}")
                os.rename(w / f"x{i}", w / f"y{i}")
        finally:
            os.kill(iw.pid, signal.SIGCONT)
        time.sleep(SETTLE)  # every rename handled
        assert iw.wait_for(lambda _: watch_count(iw.pid) == 6, 3.0), \
            f"{watch_count(iw.pid)} watches, not 6 (w and y0..y4):\n{iw.result()}"
        for i in range(5):
            touch(w / f"y{i}" / "f")
        expected = {f"w/y{i}/f CREATE" for i in range(5)}
        iw.wait_for(lambda w_: expected <= set(w_.lines()))
        r = iw.stop()
    assert expected <= set(r.lines()), f"missing {sorted(expected - set(r.lines()))}\n{r}"


def test_move_out_of_tree_is_moved_from_alone(tmp_path, w):
    (w / "f").write_bytes(b"x")
    (w / "sub").mkdir()
    out = tmp_path / "outside"
    out.mkdir()
    with Inwatch(tmp_path, "-m", "-r", "--format", "json", "w") as iw:
        iw.ready(2)
        os.rename(w / "f", out / "f")
        os.rename(w / "sub", out / "sub")
        iw.wait_for(lambda w_: sum("MOVED_FROM" in o["events"] for o in w_.json()) >= 2)
        assert iw.wait_for(lambda _: watch_count(iw.pid) == 1), watch_count(iw.pid)  # sub forgotten
        touch(out / "sub" / "later")  # outside the tree now
        touch(w / "end")
        iw.wait_for(lambda w_: "w/end" in creates(w_.json()))
        time.sleep(SETTLE)
        r = iw.stop()
    objs = r.json_lines()
    moved = [o for o in objs if "MOVED_FROM" in o["events"] or "MOVED_TO" in o["events"]]
    assert [(o["path"], o["events"], o["is_dir"]) for o in moved] == \
        [("w/f", ["MOVED_FROM"], False), ("w/sub", ["MOVED_FROM"], True)], r
    assert all("from" not in o and "to" not in o for o in moved), r
    assert not any("later" in o["path"] for o in objs), r
    # And in text: the path and MOVED_FROM alone.
    (out / "f").rename(w / "f")
    with Inwatch(tmp_path, "-m", "-e", "move", "w") as iw:
        iw.ready(1)
        os.rename(w / "f", out / "f2")
        iw.wait_line("w/f MOVED_FROM")
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/f MOVED_FROM"], r


# --- excludes ----------------------------------------------------------------------------

def test_exclude(tmp_path, w):
    (w / "skip").mkdir()
    (w / "keep").mkdir()
    (w / "cache").mkdir()
    with Inwatch(tmp_path, "-m", "-r", "-e", "create", "--exclude", "*.tmp", "--exclude", "skip",
                 "--exclude", "w/cache/*", "w") as iw:
        iw.ready(3)  # w, keep, cache: not skip
        time.sleep(0.2)
        assert watch_count(iw.pid) == 3, watch_count(iw.pid)
        touch(w / "a.tmp")
        touch(w / "keep" / "b.tmp")
        touch(w / "skip" / "inside")
        touch(w / "cache" / "c")
        os.mkdir(w / "skip2")
        touch(w / "keep" / "good")
        touch(w / "zz-end")
        iw.wait_line("w/zz-end CREATE")
        time.sleep(SETTLE)
        r = iw.stop()
    assert sorted(r.lines()) == ["w/keep/good CREATE", "w/skip2 CREATE,ISDIR", "w/zz-end CREATE"], r


# --- one-shot, timeout, signals ------------------------------------------------------------

def test_one_shot_exits_after_first_event(tmp_path, w):
    with Inwatch(tmp_path, "w") as iw:
        iw.ready(1)
        touch(w / "f1")
        touch(w / "f2")
        touch(w / "f3")
        r = iw.wait()
    assert r.rc == 0, r
    assert r.lines() == ["w/f1 CREATE"], r
    assert r.err == "", r


def test_timeout_exits_1(tmp_path, w):
    with Inwatch(tmp_path, "-t", "1", "w") as iw:
        iw.ready(1)
        r = iw.wait(LIMIT + 5)
        elapsed = time.monotonic() - iw.started
    assert r.rc == 1, r
    assert r.out == b"" and r.err == "", r
    assert 1.0 <= elapsed <= 8.0, elapsed


def test_timeout_fraction_and_monitor(tmp_path, w):
    t0 = time.monotonic()
    r = inwatch_run(tmp_path, "-m", "-t", "0.3", "w")
    elapsed = time.monotonic() - t0
    assert r.rc == 1, r
    assert r.out == b"", r
    assert 0.3 <= elapsed <= 6.0, elapsed


def test_timeout_not_reached(tmp_path, w):
    with Inwatch(tmp_path, "-t", "30", "w") as iw:
        iw.ready(1)
        touch(w / "f")
        r = iw.wait()
    assert r.rc == 0, r
    assert r.lines() == ["w/f CREATE"], r
    assert time.monotonic() - iw.started < 25


def test_timeout_must_be_positive(tmp_path, w):
    for bad in ("0", "-1", "soon"):
        r = inwatch_run(tmp_path, "-t", bad, "w")
        assert r.rc == 2, r
        assert r.out == b"", r


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_monitor_cleanly(tmp_path, w, sig):
    with Inwatch(tmp_path, "-m", "-r", "w") as iw:
        iw.ready(1)
        touch(w / "f")
        iw.wait_line("w/f CREATE")
        r = iw.stop(sig)
    assert r.rc == 0, r
    assert r.err == "", r


# --- output formats ------------------------------------------------------------------------

ODD_NAMES = [b"new\nline", b"bad\xff\xfebytes", "\u00fcnic\u00f6de".encode(), b"tab\tand space", b"-dash"]


def test_null_output_odd_names(tmp_path, w):
    with Inwatch(tmp_path, "-m", "-0", "-e", "create", "w") as iw:
        iw.ready(1)
        for name in ODD_NAMES:
            touch(os.path.join(os.fsencode(w), name))
        iw.wait_for(lambda w_: w_.out().count(b"\0") >= len(ODD_NAMES))
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.null_records() == [b"w/" + n for n in ODD_NAMES], r


def test_json_output_odd_names(tmp_path, w):
    with Inwatch(tmp_path, "-m", "-e", "create", "--format", "json", "w") as iw:
        iw.ready(1)
        for name in ODD_NAMES:
            touch(os.path.join(os.fsencode(w), name))
        os.mkdir(w / "dir")
        iw.wait_for(lambda w_: len(w_.json()) >= len(ODD_NAMES) + 1)
        time.sleep(SETTLE)
        r = iw.stop()
    objs = r.json_lines()
    assert [o["path"].encode("utf-8", "surrogateescape") for o in objs] == \
        [b"w/" + n for n in ODD_NAMES] + [b"w/dir"], r
    assert b"\\udcff\\udcfe" in r.out and b"new\\nline" in r.out, r
    assert b"\n" not in r.out.rstrip(b"\n").replace(b"}\n{", b""), "a raw newline inside a JSON object"
    for o in objs:
        assert set(o) == {"path", "events", "is_dir", "time"}, o
        assert o["events"] == ["CREATE"], o
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), o  # RFC 3339, UTC
    assert [o["is_dir"] for o in objs] == [False] * len(ODD_NAMES) + [True], r


def test_text_output_raw_bytes_off_terminal(tmp_path, w):
    with Inwatch(tmp_path, "-e", "create", "w") as iw:
        iw.ready(1)
        touch(os.path.join(os.fsencode(w), b"a\xffb"))
        r = iw.wait()
    assert r.out == b"w/a\xffb CREATE\n", r


def test_text_output_escaped_on_terminal(tmp_path, w):
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    argv = [os.fspath(tool_path("inwatch")), "-e", "create", "w"]
    p = subprocess.Popen(argv, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                         env=tool_env())
    os.close(slave)
    try:
        assert wait_until(lambda: (watch_count(p.pid) or 0) >= 1 and in_event_loop(p.pid)), "inwatch not ready"
        touch(os.path.join(os.fsencode(w), b"evil\x1b[2J\nname"))
        got = b""
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            got += data
        _, err = p.communicate(timeout=LIMIT)
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()
    r = Result(argv, p.returncode, got, err.decode("utf-8", "surrogateescape"))
    assert_no_sanitizer_report(r)
    assert r.rc == 0, r
    # a terminal: names escaped, and (--color auto) the events coloured
    assert r.out == b"w/evil\\033[2J\\nname \x1b[32mCREATE\x1b[0m\n", r


def test_custom_format(tmp_path, w):
    with Inwatch(tmp_path, "-m", "-r", "--format", "%w|%f|%e|%T|%%|%x", "--timefmt", "%s", "w") as iw:
        iw.ready(1)
        os.mkdir(w / "sub")
        iw.wait_for(lambda w_: len(w_.lines()) >= 1)
        time.sleep(SETTLE)
        r = iw.stop()
    lines = r.lines()
    assert len(lines) == 1, r
    m = re.fullmatch(r"w/\|sub\|CREATE,ISDIR\|(\d+)\|%\|%x", lines[0])
    assert m, r
    assert abs(int(m.group(1)) - time.time()) < 60, r


def test_timefmt_in_json(tmp_path, w):
    with Inwatch(tmp_path, "--format", "json", "--timefmt", "%s", "w") as iw:
        iw.ready(1)
        touch(w / "f")
        r = iw.wait()
    (o,) = r.json_lines()
    assert abs(int(o["time"]) - time.time()) < 60, r


# --- --exec ------------------------------------------------------------------------------

RECORD = ("import json, os, sys\n"
          "with open(sys.argv[1], 'a') as f:\n"
          "    f.write(json.dumps({'count': os.environ.get('INWATCH_COUNT'),\n"
          "                        'paths': os.environ.get('INWATCH_PATHS')}) + '\\n')\n"
          "print('ran', flush=True)\n")


def runs(log: Path) -> list[dict]:
    """The runs RECORD has finished writing: a long record lands in several writes, so a
    last line without its newline is still being written."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().split("\n")[:-1]]


def test_exec_debounce_runs_once(tmp_path, w):
    log = tmp_path / "runs.log"
    with Inwatch(tmp_path, "-e", "create", "--debounce", "800", "w",
                 "--exec", sys.executable, "-c", RECORD, log) as iw:
        iw.ready(1)
        for i in range(10):
            touch(w / f"f{i}")
        assert wait_until(lambda: len(runs(log)) >= 1), iw.result()
        time.sleep(2.0)  # more than the debounce: a second run would be there
        r = iw.stop()
    assert r.rc == 0, r
    got = runs(log)
    assert len(got) == 1, got
    assert got[0]["count"] == "10", got
    assert sorted(got[0]["paths"].split("\n")) == sorted(f"w/f{i}" for i in range(10)), got
    assert r.text == "ran\n", r  # the command's output passes through


def test_exec_runs_again_after_quiet(tmp_path, w):
    log = tmp_path / "runs.log"
    with Inwatch(tmp_path, "-e", "create", "--debounce", "100", "w",
                 "--exec", sys.executable, "-c", RECORD, log) as iw:
        iw.ready(1)
        touch(w / "a")
        assert wait_until(lambda: len(runs(log)) == 1), iw.result()
        touch(w / "b")
        assert wait_until(lambda: len(runs(log)) == 2), iw.result()
        r = iw.stop()
    assert [(x["count"], x["paths"]) for x in runs(log)] == [("1", "w/a"), ("1", "w/b")], r


def test_exec_runs_after_a_large_burst(tmp_path, w):
    """A checkout-sized burst: 6,000 paths of about 40 bytes make INWATCH_PATHS larger than
    the kernel takes for one environment string (MAX_ARG_STRLEN, 128 KiB): the command must
    still run, once, and INWATCH_COUNT must count every path."""
    log = tmp_path / "runs.log"
    n = 6000
    with Inwatch(tmp_path, "-e", "create", "--debounce", "800", "w",
                 "--exec", sys.executable, "-c", RECORD, log) as iw:
        iw.ready(1)
        for i in range(n):
            touch(w / f"a-rather-long-file-name-{i:06}.txt")
        ok = wait_until(lambda: len(runs(log)) >= 1, 15.0)
        time.sleep(SETTLE)
        r = iw.stop()
    assert ok, f"the command never ran:\n{r}"
    got = runs(log)
    assert len(got) == 1, [x["count"] for x in got]
    assert got[0]["count"] == str(n), got[0]["count"]


def test_exec_no_shell_without_shell(tmp_path, w):
    with Inwatch(tmp_path, "-e", "create", "w", "--exec", "echo", "$INWATCH_COUNT", "a;b") as iw:
        iw.ready(1)
        touch(w / "f")
        iw.wait_line("$INWATCH_COUNT a;b")
        r = iw.stop()
    assert r.rc == 0 and r.text == "$INWATCH_COUNT a;b\n", r


def test_exec_shell(tmp_path, w):
    with Inwatch(tmp_path, "-e", "create", "--shell", "w",
                 "--exec", 'echo "n=$INWATCH_COUNT"', "&&", "echo", "'$INWATCH_PATHS'", ">", "shell.out") as iw:
        iw.ready(1)
        touch(w / "f")
        assert wait_until(lambda: (tmp_path / "shell.out").exists() and
                          (tmp_path / "shell.out").read_text() == "$INWATCH_PATHS\n"), iw.result()
        iw.wait_line("n=1")
        r = iw.stop()
    assert r.rc == 0 and r.text == "n=1\n", r


def _cleanup(pids_file: Path):
    if pids_file.exists():
        for line in pids_file.read_text().split():
            try:
                os.kill(int(line), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def test_exec_restart_kills_process_group(tmp_path, w):
    pids = tmp_path / "pids"
    script = f'sleep 1000 & echo $! >> {pids}; echo started; wait'
    try:
        with Inwatch(tmp_path, "-e", "create", "--debounce", "50", "--restart", "w",
                     "--exec", "sh", "-c", script) as iw:
            iw.ready(1)
            touch(w / "a")
            assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 1), iw.result()
            first = int(pids.read_text().split()[0])
            assert not process_gone(first)
            touch(w / "b")
            assert wait_until(lambda: len(pids.read_text().split()) == 2), iw.result()
            assert wait_until(lambda: process_gone(first)), f"background sleep {first} survived the restart"
            second = int(pids.read_text().split()[1])
            assert not process_gone(second)
            r = iw.stop()
        assert r.rc == 0, r
        assert r.text == "started\nstarted\n", r
        assert wait_until(lambda: process_gone(second)), f"background sleep {second} survived inwatch"
    finally:
        _cleanup(pids)


def test_exec_restart_sigkill_after_grace(tmp_path, w):
    """A grandchild that ignores SIGTERM gets SIGKILL --grace seconds later, even though the
    command itself exited on SIGTERM."""
    pids = tmp_path / "pids"
    script = f'(trap "" TERM; exec sleep 1000) & echo $! >> {pids}; wait'
    try:
        with Inwatch(tmp_path, "-e", "create", "--debounce", "50", "--restart", "--grace", "0.5", "w",
                     "--exec", "sh", "-c", script) as iw:
            iw.ready(1)
            touch(w / "a")
            assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 1), iw.result()
            first = int(pids.read_text().split()[0])
            touch(w / "b")
            assert wait_until(lambda: len(pids.read_text().split()) == 2), iw.result()
            assert wait_until(lambda: process_gone(first), 5.0), \
                f"sleep {first}, in the restarted command's group and ignoring SIGTERM, was not killed"
            second = int(pids.read_text().split()[1])
            r = iw.stop()
        assert r.rc == 0, r
        assert wait_until(lambda: process_gone(second), 5.0), \
            f"sleep {second}, ignoring SIGTERM, outlived inwatch"
    finally:
        _cleanup(pids)


def test_exec_without_command(tmp_path, w):
    r = inwatch_run(tmp_path, "w", "--exec")
    assert r.rc == 2, r
    assert r.err == "inwatch: --exec: needs a command\n", r
    assert r.out == b"", r


def test_shell_without_exec(tmp_path, w):
    r = inwatch_run(tmp_path, "--shell", "w")
    assert r.rc == 2, r
    assert r.err == "inwatch: --shell: needs --exec\n", r


# --- trouble -----------------------------------------------------------------------------

def test_missing_path(tmp_path, w):
    r = inwatch_run(tmp_path, "w/nope")
    assert r.rc == 2, r
    assert r.err == "inwatch: w/nope: No such file or directory\n", r
    assert r.out == b"", r
    r = inwatch_run(tmp_path, "-r", "-t", "5", "w", "w/nope")
    assert r.rc == 2, r
    assert r.err == "inwatch: w/nope: No such file or directory\n", r


@pytest.mark.parametrize("value", ["bogus", "create,bogus", "create,"])
def test_unknown_event(tmp_path, w, value):
    r = inwatch_run(tmp_path, "-e", value, "w")
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err.startswith("inwatch: --event: unknown event '"), r


def test_no_path_is_usage_error(tmp_path):
    r = inwatch_run(tmp_path)
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err.startswith("inwatch: "), r


# --- kernel limits -------------------------------------------------------------------------

def _root_watches() -> int:
    """inotify watches held now by processes of uid 0 (the limit counts per user)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid != 0:
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        total += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            continue
    return total


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changes /proc/sys/fs/inotify (root only)")


@needs_root
@pytest.mark.serial  # the limits are the whole system's: no other test may run meanwhile
def test_overflow_reported_and_rescanned(tmp_path, w):
    """SIGSTOP the watcher, make more events than its queue holds, SIGCONT: the overflow is
    on stderr and every file created is reported at least once (the rescan's synthetic creates)."""
    (w / "sub").mkdir()
    qfile = INOTIFY / "max_queued_events"
    old = qfile.read_text()
    queue = 512
    n = 3 * queue
    try:
        qfile.write_text(f"{queue}\n")
        with Inwatch(tmp_path, "-m", "-r", "--format", "json", "w") as iw:
            iw.ready(2)
            qfile.write_text(old)  # the watcher's queue keeps its size
            os.kill(iw.pid, signal.SIGSTOP)
            try:
                for i in range(n):
                    touch(w / "sub" / f"f{i:05}")
            finally:
                os.kill(iw.pid, signal.SIGCONT)
            expected = {f"w/sub/f{i:05}" for i in range(n)}
            iw.wait_for(lambda w_: expected <= set(creates(w_.json())), 30.0)
            time.sleep(SETTLE)
            # Watches are still there, and new files are still reported.
            assert watch_count(iw.pid) == 2
            touch(w / "sub" / "after")
            assert iw.wait_for(lambda w_: "w/sub/after" in creates(w_.json())), iw.result()
            r = iw.stop()
    finally:
        qfile.write_text(old)
    assert r.rc == 0, r
    assert re.search(r"^inwatch: .*overflow.*max_queued_events.*rescan", r.err, re.M), r
    # The size of the queue that overflowed, not the limit now in force.
    assert int(old) != queue, f"max_queued_events is {queue} already: the test cannot tell them apart"
    assert ("inwatch: the kernel's event queue of 512 events overflowed (the size /proc/sys/fs/inotify/"
            "max_queued_events gave it when the watch began): events were lost; rescanning") in r.err_lines(), r
    got = creates(r.json_lines())
    missing = expected - set(got)
    assert not missing, f"{len(missing)} files never reported, e.g. {sorted(missing)[:5]}"
    assert any(o.get("synthetic") for o in r.json_lines()), r


@needs_root
@pytest.mark.serial  # the limits are the whole system's: no other test may run meanwhile
def test_overflow_rescan_keeps_non_recursive_watch(tmp_path, w):
    """Without -r the rescan after an overflow must not start watching (and reporting) the
    directories below the root."""
    (w / "deep" / "er").mkdir(parents=True)
    (w / "deep" / "er" / "old").write_bytes(b"x")
    qfile = INOTIFY / "max_queued_events"
    old = qfile.read_text()
    try:
        qfile.write_text("64\n")
        with Inwatch(tmp_path, "-m", "-e", "create", "w") as iw:
            iw.ready(1)
            qfile.write_text(old)
            os.kill(iw.pid, signal.SIGSTOP)
            try:
                for i in range(200):
                    touch(w / f"f{i:03}")
            finally:
                os.kill(iw.pid, signal.SIGCONT)
            assert iw.wait_for(lambda w_: "overflow" in w_.result().err), iw.result()
            time.sleep(SETTLE)
            touch(w / "deep" / "er" / "new")
            touch(w / "end")
            iw.wait_line("w/end CREATE")
            time.sleep(SETTLE)
            watches = watch_count(iw.pid)
            r = iw.stop()
    finally:
        qfile.write_text(old)
    assert watches == 1, f"{watches} watches after the rescan of a non-recursive watch, not 1"
    deep = [line for line in r.lines() if line.startswith("w/deep/")]
    assert not deep, f"below the (non-recursive) root: {deep}"


@needs_root
@pytest.mark.serial  # the limits are the whole system's: no other test may run meanwhile
def test_watch_limit(tmp_path, w):
    """Fewer watches allowed than the tree has directories: an error naming max_user_watches and
    how many the tree needs, exit 2."""
    for i in range(100):
        (w / f"d{i:03}" / "e").mkdir(parents=True)
    dirs = 1 + 200
    wfile = INOTIFY / "max_user_watches"
    old = wfile.read_text()
    try:
        wfile.write_text(f"{_root_watches() + 50}\n")
        with Inwatch(tmp_path, "-r", "-t", "3", "w") as iw:
            r = iw.wait(LIMIT + 3)
    finally:
        wfile.write_text(old)
    assert r.rc == 2, r
    assert "max_user_watches" in r.err, r
    assert re.search(rf"\b{dirs}\b", r.err), f"the number of watches needed ({dirs}) is not named:\n{r}"
    assert r.err.startswith("inwatch: w: "), r


def test_color_events_by_kind(tmp_path, w):
    with Inwatch(tmp_path, "-m", "--color=always", "-e", "create,delete,modify,move", "w") as iw:
        iw.ready(1)
        touch(w / "f", b"x")
        os.rename(w / "f", w / "g")
        os.unlink(w / "g")
        iw.wait_for(lambda w_: len(w_.lines()) >= 4)
        time.sleep(SETTLE)
        r = iw.stop()
    assert r.lines() == ["w/f \x1b[32mCREATE\x1b[0m", "w/f \x1b[33mMODIFY\x1b[0m",
                         "w/f \x1b[36mMOVED_FROM,MOVED_TO\x1b[0m w/g", "w/g \x1b[31mDELETE\x1b[0m"], r
    plain = inwatch_run(tmp_path, "--color=always", "-0", "-t", "1", "w")  # colour is for text only
    assert plain.rc == 1 and plain.out == b"", plain

# --- inotifywait's options, side by side with inotifywait ---------------------------------

INOTIFYWAIT = shutil.which("inotifywait")
needs_inotifywait = pytest.mark.skipif(INOTIFYWAIT is None, reason="inotifywait (inotify-tools) is not installed")


class Peer(Inwatch):
    """inotifywait ARGS running in the background, as Inwatch runs inwatch."""

    def __init__(self, cwd: Path, *args):
        super().__init__(cwd, *args)
        self.proc.kill()  # Inwatch started inwatch: run inotifywait instead
        self.proc.wait()
        self.argv = [INOTIFYWAIT] + self.argv[1:]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=tool_env())

    def wait(self, limit: float = LIMIT) -> Result:
        """Waits for it to exit; inotifywait dies of the signal that stops it."""
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"inotifywait still running after {limit} s:\n{self.result()}")
        return self.result()

    def ready(self, watches: int = 1, limit: float = LIMIT) -> "Peer":
        """inotifywait says "Watches established." on stderr once they are."""
        ok = wait_until(lambda: b"Watches established." in self.err_path.read_bytes()
                        or self.proc.poll() is not None, limit)
        assert self.proc.poll() is None and ok, f"inotifywait did not start:\n{self.result()}"
        return self


def side_by_side(tmp_path, args, act, lines: int):
    """Runs inwatch and inotifywait with the same args on the same tree, does act(), waits
    until each printed `lines` lines, stops both and returns their Results."""
    with Inwatch(tmp_path, *args) as mine, Peer(tmp_path, *args) as theirs:
        mine.ready(1)
        theirs.ready()
        act()
        for p in (mine, theirs):
            p.wait_for(lambda x: len(x.lines()) >= lines)
        time.sleep(SETTLE)  # nothing more may come
        return mine.stop(), theirs.stop()


@needs_inotifywait
def test_csv_as_inotifywait(tmp_path, w):
    (w / "d").mkdir()

    def act():
        touch(w / "a.txt", b"x")
        touch(w / 'b,"q".log')
        touch(w / "d" / " spaced ")
        os.rename(w / "a.txt", w / "c.txt")
        os.chmod(w / "c.txt", 0o600)
        os.unlink(w / "c.txt")

    args = ["-m", "-r", "--csv", "-e", "create,modify,moved_from,moved_to,attrib,delete", "w"]
    mine, theirs = side_by_side(tmp_path, args, act, 8)
    assert mine.out == theirs.out, (mine, theirs)
    assert 'w/,CREATE,"b,""q"".log"' in mine.lines(), mine
    assert len(mine.lines()) == 8, mine


@needs_inotifywait
@pytest.mark.parametrize("opt,pattern", [("--include", r"\.txt$"), ("--includei", r"\.TXT$"),
                                         ("--include", "^w/d/")])
def test_include_as_inotifywait(tmp_path, w, opt, pattern):
    (w / "d").mkdir()

    def act():
        for name in ("a.txt", "b.log", "d/c.txt", "d/e.log", "F.TXT"):
            touch(w / name, b"x")

    args = ["-m", "-r", "-e", "create,modify", opt, pattern, "--format", "%w%f %e", "w"]
    want = 6 if opt == "--includei" else 4  # a create and a modify for each file that matches
    mine, theirs = side_by_side(tmp_path, args, act, want)
    assert mine.lines() == theirs.lines(), (mine, theirs)
    assert len(mine.lines()) == want, mine


@needs_inotifywait
def test_outfile_appends_as_inotifywait(tmp_path, w):
    for name in ("mine.log", "theirs.log"):
        (tmp_path / name).write_bytes(b"before\n")
    with Inwatch(tmp_path, "-e", "create", "-o", "mine.log", "w") as mine, \
            Peer(tmp_path, "-q", "-e", "create", "-o", "theirs.log", "w") as theirs:
        mine.ready(1)
        # -q: inotifywait says nothing when its watches are up; an event queues from then on.
        wait_until(lambda: (watch_count(theirs.proc.pid) or 0) >= 1, LIMIT, "inotifywait's watch")
        touch(w / "new")
        r, p = mine.wait(), theirs.wait()
    assert (r.rc, r.out, r.err) == (0, b"", ""), r
    assert p.rc == 0, p
    assert (tmp_path / "mine.log").read_bytes() == b"before\nw/new CREATE\n"
    assert (tmp_path / "theirs.log").read_bytes() == b"before\nw/ CREATE new\n"


def daemon_of(outfile: Path, limit: float = LIMIT) -> int:
    """The pid of the daemon whose command line names outfile."""
    found = []

    def look():
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if os.fsencode(outfile) in f.read().split(b"\0"):
                        found.append(int(pid))
                        return True
            except OSError:
                continue
        return False
    assert wait_until(look, limit), f"no daemon writing {outfile}"
    return found[0]


@needs_inotifywait
def test_daemon_writes_to_outfile_in_the_background_as_inotifywait(tmp_path, w):
    pids = []
    try:
        for tool, log in ((tool_path("inwatch"), "mine-daemon.log"), (INOTIFYWAIT, "theirs-daemon.log")):
            (tmp_path / log).touch()  # inotifywait -d wants it to exist; inwatch would make it
            # absolute paths: a daemon works from /
            p = subprocess.run([os.fspath(tool), "-d", "-q", "-e", "create", "--format", "%f %e", "-o",
                                tmp_path / log, w],
                               cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, env=tool_env(),
                               timeout=LIMIT)
            assert (p.returncode, p.stdout) == (0, b""), p  # the foreground process is done at once
            pids.append(daemon_of(tmp_path / log))
        assert wait_until(lambda: watch_count(pids[0]) == 1), "inwatch's daemon holds no watch"
        mine = pids[0]
        assert os.getsid(mine) == mine, "the daemon is not in a session of its own"
        assert os.readlink(f"/proc/{mine}/fd/0") == "/dev/null"
        assert os.readlink(f"/proc/{mine}/fd/1") == "/dev/null"
        # inotifywait's daemon says nothing once it watches; an event queues from then on.
        assert wait_until(lambda: watch_count(pids[1]) == 1), "inotifywait's daemon holds no watch"
        touch(w / "a")
        touch(w / "b")
        logs = [tmp_path / "mine-daemon.log", tmp_path / "theirs-daemon.log"]
        assert wait_until(lambda: all(log.exists() and log.read_bytes().count(b"\n") >= 2 for log in logs)), \
            [log.read_bytes() for log in logs if log.exists()]
        assert logs[0].read_bytes() == logs[1].read_bytes() == b"a CREATE\nb CREATE\n"
        assert os.readlink(f"/proc/{mine}/cwd") == "/"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
    assert wait_until(lambda: process_gone(pids[0])), "inwatch's daemon did not stop on SIGTERM"


def test_daemon_needs_outfile(tmp_path, w):
    r = inwatch_run(tmp_path, "-d", "w")
    assert r.rc == 2, r
    assert r.err == ("inwatch: --daemon: needs --outfile FILE (a daemon has no standard output)\n"
                     "Try 'inwatch --help' for more information.\n"), r


@needs_inotifywait
@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_fromfile_as_inotifywait(tmp_path, w, stdin):
    for d in ("a/skip", "b", "c"):
        (w / d).mkdir(parents=True)
    (tmp_path / "list").write_text("w/a\n@w/a/skip\nw/b\n")

    def act():
        for name in ("a/x", "a/skip/y", "b/z", "c/not"):
            touch(w / name)

    if stdin:
        mine, theirs = side_by_side_stdin(tmp_path, ["-m", "-r", "-e", "create", "--format", "%w%f %e",
                                                     "--fromfile", "-"], tmp_path / "list", act, 2)
    else:
        mine, theirs = side_by_side(tmp_path, ["-m", "-r", "-e", "create", "--format", "%w%f %e",
                                               "--fromfile", "list"], act, 2)
    assert mine.lines() == theirs.lines() == ["w/a/x CREATE", "w/b/z CREATE"], (mine, theirs)


def side_by_side_stdin(tmp_path, args, stdin: Path, act, lines: int):
    """side_by_side, with each tool's standard input read from the file stdin."""
    procs = []
    try:
        for n, tool in enumerate((tool_path("inwatch"), INOTIFYWAIT)):
            out, err = tmp_path / f"stdin-{n}.out", tmp_path / f"stdin-{n}.err"
            with open(stdin, "rb") as i, open(out, "wb") as o, open(err, "wb") as e:
                procs.append((subprocess.Popen([os.fspath(tool), *args], cwd=tmp_path, stdin=i, stdout=o, stderr=e,
                                               env=tool_env()), out, err))
        assert wait_until(lambda: (watch_count(procs[0][0].pid) or 0) >= 2 and in_event_loop(procs[0][0].pid))
        assert wait_until(lambda: b"Watches established." in procs[1][2].read_bytes())
        act()
        assert wait_until(lambda: all(out.read_bytes().count(b"\n") >= lines for _, out, _ in procs))
        time.sleep(SETTLE)
        results = []
        for p, out, err in procs:
            p.terminate()
            p.wait(timeout=LIMIT)
            results.append(Result(p.args, p.returncode, out.read_bytes(), err.read_text()))
        return results
    finally:
        for p, _, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@needs_inotifywait
def test_unmount_event_as_inotifywait(tmp_path, w):
    mnt = w / "mnt"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "syskit-e2e", mnt], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        with Inwatch(tmp_path, "-e", "unmount", "--format", "%e", "w/mnt") as mine, \
                Peer(tmp_path, "-e", "unmount", "--format", "%e", "w/mnt") as theirs:
            mine.ready(1)
            theirs.ready()
            subprocess.run(["umount", mnt], check=True)
            r, p = mine.wait(), theirs.wait()
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
    assert r.rc == p.rc == 0, (r, p)
    assert r.out == p.out == b"UNMOUNT,ISDIR\n", (r, p)


@needs_inotifywait
@pytest.mark.parametrize("case", ["event", "timeout", "missing", "usage"])
def test_compat_exit_statuses_are_inotifywait_s(tmp_path, w, case):
    args = {"event": ["-e", "create", "-t", "5", "w"], "timeout": ["-t", "1", "w"],
            "missing": ["w/nope"], "usage": ["--no-such-option", "w"]}[case]
    own = {"event": 0, "timeout": 1, "missing": 2, "usage": 2}[case]
    results = []
    for argv in ([tool_path("inwatch"), "--compat-exit", *args], [tool_path("inwatch"), *args], [INOTIFYWAIT, *args]):
        p = subprocess.Popen([os.fspath(a) for a in argv], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=tool_env())
        if case == "event":
            # Once the watch is there the event queues, read or not.
            wait_until(lambda: (watch_count(p.pid) or 0) >= 1, LIMIT, "the watch")
            touch(w / f"f{len(results)}")
        p.communicate(timeout=LIMIT)
        results.append(p.returncode)
    compat, plain, theirs = results
    assert compat == theirs, results
    assert plain == own, results


@pytest.mark.serial  # /dev/log is the whole machine's
@pytest.mark.skipif(os.path.exists("/dev/log"), reason="a syslog daemon owns /dev/log here")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make /dev/log")
def test_daemon_diagnostics_go_to_syslog(tmp_path, w):
    import socket
    (w / "f").write_bytes(b"x")
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    pid = None
    try:
        log.bind("/dev/log")
        log.settimeout(LIMIT)
        p = subprocess.run([tool_path("inwatch"), "-d", "-o", tmp_path / "events.log", w / "f"], cwd=tmp_path,
                           stdin=subprocess.DEVNULL, capture_output=True, env=tool_env(), timeout=LIMIT)
        assert (p.returncode, p.stdout, p.stderr) == (0, b"", b""), p
        pid = daemon_of(tmp_path / "events.log")
        assert wait_until(lambda: watch_count(pid) == 1)
        os.unlink(w / "f")  # the watch goes: a diagnostic
        message = log.recv(4096)
        assert message == f"inwatch: {w / 'f'}: no longer watched: it was deleted, moved away or unmounted\n".encode()
    finally:
        log.close()
        os.unlink("/dev/log")
        if pid:
            os.kill(pid, signal.SIGTERM)

"""End-to-end tests of logroll: pipe mode, watch mode and --once, run as a user would."""
import gzip
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import Result, assert_no_sanitizer_report, mounted_tmpfs, tool_env, tool_path, unread_bytes, wait_until
from logroll_writers import SteadyWriters

STAMP = r"\d{8}T\d{6}Z"


def lines(start: int, count: int, width: int = 0) -> bytes:
    """Sequence-numbered lines: "00000042 line ...\n"."""
    pad = "x" * width
    return b"".join(f"{i:08d} line {pad}\n".encode() for i in range(start, start + count))


def rotated(d: Path, base: str = "app.log") -> list[Path]:
    """The rotated files of base in d (regular files with a real date), oldest first."""
    pat = re.compile(rf"{re.escape(base)}\.({STAMP})(?:\.([1-9]\d*))?(\.gz|\.zst)?$")
    found = []
    for p in d.iterdir():
        m = pat.match(p.name)
        if not m or not p.is_file() or p.is_symlink():
            continue
        try:
            time.strptime(m[1], "%Y%m%dT%H%M%SZ")
        except ValueError:
            continue
        found.append((m[1], int(m[2] or 0), p))
    return [t[2] for t in sorted(found)]


def read_all(d: Path, base: str = "app.log") -> bytes:
    """Every rotated file (decompressed) then the current log, concatenated."""
    out = b""
    for p in rotated(d, base):
        data = p.read_bytes()
        if p.name.endswith(".gz"):
            data = gzip.decompress(data)
        elif p.name.endswith(".zst"):
            data = subprocess.run(["zstd", "-dc", p], check=True, stdout=subprocess.PIPE).stdout
        out += data
    cur = d / base
    return out + (cur.read_bytes() if cur.exists() else b"")


class Running:
    """logroll started in the background, standard input a pipe we write."""

    def __init__(self, *args, stdin=subprocess.PIPE, env=None):
        self.args = [os.fspath(tool_path("logroll"))] + [os.fspath(a) for a in args]
        self.err_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"logroll-e2e-{os.getpid()}-{id(self)}.err"
        self.err_file = open(self.err_path, "wb")
        self.p = subprocess.Popen(self.args, stdin=stdin, stdout=subprocess.PIPE, stderr=self.err_file,
                                  env=tool_env(env))

    def err(self) -> str:
        return self.err_path.read_text(errors="surrogateescape")

    def wait_log(self, needle: str, timeout: float = 15, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.err().count(needle) < count:
            assert time.monotonic() < deadline, f"no {needle!r} ({count}) in:\n{self.err()}"
            assert self.p.poll() is None or self.err().count(needle) >= count, f"exited {self.p.returncode}:\n{self.err()}"
            time.sleep(0.02)

    def finish(self, timeout: float = 30) -> Result:
        if self.p.stdin and not self.p.stdin.closed:
            self.p.stdin.close()
        out = self.p.stdout.read()
        rc = self.p.wait(timeout=timeout)
        self.err_file.close()
        r = Result(self.args, rc, out, self.err())
        self.err_path.unlink()
        assert_no_sanitizer_report(r)
        return r

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


# --- pipe mode -------------------------------------------------------------------------------

def test_pipe_no_line_lost_split_or_duplicated(run, tmp_path):
    data = lines(0, 300_000, 80)  # about 27 MB
    r = run("logroll", "--size", "1M", tmp_path / "app.log", input=data)
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) >= 25, r
    for f in files:
        content = f.read_bytes()
        assert 0 < len(content) <= 1 << 20
        assert content.endswith(b"\n"), f"{f} ends inside a line"
    assert read_all(tmp_path) == data
    assert r.err.count("msg=rotated") == len(files)
    assert r.out == b""


def test_pipe_line_longer_than_size_is_written_whole(run, tmp_path):
    data = b"short\n" + b"L" * 5000 + b"\n" + b"after\n"
    r = run("logroll", "--size", "1K", tmp_path / "app.log", input=data)
    assert r.rc == 0, r
    contents = [f.read_bytes() for f in rotated(tmp_path)] + [(tmp_path / "app.log").read_bytes()]
    assert b"L" * 5000 + b"\n" in contents
    assert b"".join(contents) == data


def test_pipe_last_line_without_newline_is_ended(run, tmp_path):
    """At the end of the input a last line without its newline gets one (as multilog does), so
    the next run's first line is not glued to it."""
    log = tmp_path / "app.log"
    r = run("logroll", log, input=b"a\nb")
    assert r.rc == 0, r
    assert log.read_bytes() == b"a\nb\n"
    assert run("logroll", log, input=b"c\n").rc == 0
    assert log.read_bytes() == b"a\nb\nc\n"
    assert run("logroll", log, input=b"").rc == 0  # no input: nothing added
    assert log.read_bytes() == b"a\nb\nc\n"


def test_pipe_restart_continues_the_line_the_log_ends_in(run, tmp_path):
    """A log ending inside a line (a run killed while writing it in parts) is continued until
    that line ends, not rotated away from its rest; with --timestamp no prefix goes inside it."""
    log = tmp_path / "app.log"
    log.write_bytes(b"A" * 12)
    r = run("logroll", "--size", "10", log, input=b"-tail\nnext\n")
    assert r.rc == 0, r
    assert [f.read_bytes() for f in rotated(tmp_path)] + [log.read_bytes()] == [b"A" * 12 + b"-tail\n", b"next\n"]
    assert "continuing_line=true" in r.err
    stamped = tmp_path / "t.log"
    stamped.write_bytes(b"begun")
    r = run("logroll", "--timestamp", "tai64n", stamped, input=b" and ended\nx\n")
    assert r.rc == 0, r
    assert re.fullmatch(rb"begun and ended\n@4000000[0-9a-f]{17} x\n", stamped.read_bytes()), stamped.read_bytes()


@pytest.mark.parametrize("algo,ext", [("zstd", ".zst"), ("gzip", ".gz")])
def test_pipe_compression_round_trip(run, tmp_path, algo, ext):
    data = lines(0, 60_000, 40)
    r = run("logroll", "--size", "256K", "--compress", algo, tmp_path / "app.log", input=data)
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) >= 10
    assert all(f.name.endswith(ext) for f in files), files  # the originals are gone
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert read_all(tmp_path) == data
    assert r.err.count("msg=compressed") == len(files)


def test_pipe_timestamps(run, tmp_path):
    r = run("logroll", "--timestamp", "iso8601", tmp_path / "app.log", input=b"a\nb\n")
    assert r.rc == 0, r
    got = (tmp_path / "app.log").read_bytes().split(b"\n")
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z a", got[0])
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z b", got[1])
    r = run("logroll", "--timestamp", "tai64n", tmp_path / "t.log", input=b"x\n")
    assert re.fullmatch(rb"@4000000[0-9a-f]{17} x\n", (tmp_path / "t.log").read_bytes())


def test_pipe_signals(tmp_path):
    log = tmp_path / "app.log"
    lr = Running("--size", "1G", log)
    try:
        lr.p.stdin.write(lines(0, 100))
        lr.p.stdin.flush()
        wait_until(lambda: log.exists() and log.stat().st_size == len(lines(0, 100)),
                   timeout=15, what="the first lines")
        lr.p.send_signal(signal.SIGUSR1)  # rotate now
        lr.wait_log("reason=signal")
        assert [f.read_bytes() for f in rotated(tmp_path)] == [lines(0, 100)]
        lr.p.stdin.write(lines(100, 50))
        lr.p.stdin.flush()
        wait_until(lambda: log.exists() and log.stat().st_size == len(lines(100, 50)),
                   timeout=15, what="lines after rotation")
        os.rename(log, tmp_path / "moved")  # as an outside rotator would; SIGHUP reopens
        lr.p.send_signal(signal.SIGHUP)
        lr.wait_log("msg=reopening")
        lr.p.stdin.write(lines(150, 10) + b"partial")
        lr.p.stdin.flush()
        # From a pipe, the start of an unfinished line is written at once too.
        wait_until(lambda: log.exists() and log.stat().st_size >= len(lines(150, 10)),
                   timeout=15, what="lines after SIGHUP")
        lr.p.send_signal(signal.SIGTERM)  # flushes the partial line and exits 0
        lr.p.wait(timeout=15)  # before finish() closes its input, which would end the line
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    assert (tmp_path / "moved").read_bytes() == lines(100, 50)
    assert log.read_bytes() == lines(150, 10) + b"partial"


def test_pipe_second_instance_refused(run, tmp_path):
    log = tmp_path / "app.log"
    lr = Running(log)
    try:
        lr.wait_log("msg=started")
        r = run("logroll", log, input=b"lost?\n")
        assert r.rc == 2, r
        assert f"logroll: {log}: another logroll is rotating this log" in r.err
        assert (tmp_path / ".logroll.lock").exists()
        assert not (tmp_path / ".app.log.lock").exists()
        # The lock is the log's byte of the directory's lock file: another log beside it is free.
        (tmp_path / "other.log").write_bytes(b"other\n")
        r = run("logroll", "--once", tmp_path / "other.log")
        assert r.rc == 0, r
        lr.p.stdin.write(b"kept\n")
        done = lr.finish()
    finally:
        lr.kill()
    assert done.rc == 0
    assert log.read_bytes() == b"kept\n"


def test_pipe_interval_rotation(tmp_path):
    log = tmp_path / "app.log"
    lr = Running("--interval", "1s", log)
    sent = b""
    try:
        for i in range(25):
            chunk = lines(i * 10, 10)
            lr.p.stdin.write(chunk)
            lr.p.stdin.flush()
            sent += chunk
            time.sleep(0.1)
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    assert len(rotated(tmp_path)) >= 2, r
    assert read_all(tmp_path) == sent
    assert "reason=interval" in r.err


def test_pipe_kill9_then_restart_continues_the_file(tmp_path):
    log = tmp_path / "app.log"
    first = lines(0, 20_000)
    lr = Running("--size", "100M", log)
    try:
        lr.p.stdin.write(first)
        lr.p.stdin.flush()
        wait_until(lambda: log.exists() and log.stat().st_size == len(first),
                   timeout=15, what="the first run's lines")
        inode = log.stat().st_ino
        lr.p.kill()
        lr.p.wait()
    finally:
        lr.kill()
    assert log.read_bytes() == first
    second = lines(20_000, 5_000)
    lr = Running("--size", "100M", log)
    lr.p.stdin.write(second)
    r = lr.finish()
    assert r.rc == 0, r
    assert log.stat().st_ino == inode  # the same file, continued
    assert log.read_bytes() == first + second
    assert f"bytes={len(first)}" in r.err  # it counted what the file held


# As systemd starts a socket-activated service: the descriptor it holds (here the FIFO,
# ListenFIFO=) as fd 3, LISTEN_FDS=1 and LISTEN_PID the service's own pid, then exec.
LAUNCH = ("import os, sys\n"
          "os.dup2(int(sys.argv[1]), 3)\n"
          "os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES='fifo')\n"
          "os.execv(sys.argv[2], sys.argv[2:])\n")


def socket_activated(held: int, *args, notify: str = "") -> subprocess.Popen:
    argv = [sys.executable, "-c", LAUNCH, str(held), os.fspath(tool_path("logroll"))] + [os.fspath(a) for a in args]
    env = tool_env()
    if notify:
        env["NOTIFY_SOCKET"] = notify
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=[held], env=env)


def where_threads_wait(pid: int) -> dict:
    """Each thread's wait channel and system call (/proc/PID/task/TID/wchan and syscall): what a
    process that stopped making progress is blocked in."""
    found = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found[task.name] = ((task / "wchan").read_text(), (task / "syscall").read_text().split()[:2])
        except OSError as e:
            found[task.name] = str(e)
    return found


def test_socket_activated_fifo_survives_ten_kill9s(tmp_path):
    """logroll@.socket's arrangement: the FIFO is held open by the launcher (systemd), logroll
    gets it as fd 3.  Ten SIGKILLs under a writer, each followed by a restart: the writer never
    sees EPIPE, no line is lost, repeated or split, and a long line written in parts is whole."""
    fifo = tmp_path / "app.fifo"
    os.mkfifo(fifo, 0o620)
    held = os.open(fifo, os.O_RDWR | os.O_CLOEXEC)  # systemd's own descriptor
    log = tmp_path / "app.log"
    args = ("--size", "1M", "--compress", "gzip", log)
    sent = bytearray()
    errors = []
    killed = threading.Event()

    def writer():
        try:
            fd = os.open(fifo, os.O_WRONLY)
            # On until the tenth kill: a fast logroll must not see the writer end before it.
            for i in itertools.count():
                if i >= 60_000 and killed.is_set():
                    break
                # Every 997th line is long, so that a kill often comes while one is half written.
                line = b"%08d %s\n" % (i, b"x" * (150_000 if i % 997 == 0 else 40))
                os.write(fd, line)
                sent.extend(line)
            os.close(fd)
        except OSError as e:
            errors.append(e)

    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.fspath(tmp_path / "notify"))
    notify.settimeout(30)
    lr = socket_activated(held, *args)
    t = threading.Thread(target=writer)
    t.start()
    try:
        for kill in range(10):
            before = len(sent)
            # A stall is told apart from a logroll that died or a writer that failed.
            wait_until(lambda: len(sent) > before + 300_000 or errors or lr.poll() is not None, timeout=30)
            if len(sent) <= before + 300_000 or errors or lr.poll() is not None:
                threads = where_threads_wait(lr.pid)
                lr.kill()
                pytest.fail(f"after {kill} restarts the writer got {len(sent) - before} bytes on; its errors: "
                            f"{errors}; logroll's threads: {threads}; its status {lr.wait()}, "
                            f"its stderr: {lr.stderr.read().decode()!r}")
            time.sleep(0.01 * (kill % 4))
            lr.kill()
            lr.wait()
            lr.stderr.close()
            # The last one says when it is ready: a SIGTERM before that would end the launcher
            # or a logroll not yet handling it, not the logroll the test means to stop.
            lr = socket_activated(held, *args, notify=os.fspath(notify.getsockname()) if kill == 9 else "")
        killed.set()
        t.join(timeout=60)
        assert not t.is_alive() and not errors, errors
        assert notify.recv(64) == b"READY=1"

        def drained():
            return unread_bytes(held) == 0
        wait_until(drained, timeout=30, what="logroll to read the FIFO empty")
        time.sleep(0.2)
        lr.send_signal(signal.SIGTERM)
        err = lr.communicate(timeout=30)[1].decode()
        assert lr.returncode == 0, err
    finally:
        lr.kill()
        os.close(held)
        notify.close()
    files = rotated(tmp_path)
    assert len(files) >= 8
    assert all(f.name.endswith(".gz") for f in files), files
    assert all(decompressed(f).endswith(b"\n") for f in files)
    assert read_all(tmp_path) == bytes(sent)


def launched(fd: int, listen_fds: str, *args) -> Result:
    """logroll exec'd as a socket unit's service with descriptor fd as 3 and LISTEN_FDS set to
    listen_fds, run to its end."""
    launch = LAUNCH.replace("LISTEN_FDS='1'", f"LISTEN_FDS={listen_fds!r}")
    argv = [sys.executable, "-c", launch, str(fd), os.fspath(tool_path("logroll"))] + [os.fspath(a) for a in args]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, pass_fds=[fd], env=tool_env(),
                       timeout=30)
    return Result(argv, p.returncode, p.stdout, p.stderr.decode())


def test_socket_activation_refuses_what_is_not_one_fifo(tmp_path):
    """LISTEN_FDS that is not a number, more than one descriptor, a descriptor that is not a
    FIFO: each named, exit 2, and no log made."""
    log = tmp_path / "app.log"
    plain = os.open(tmp_path / "plain", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        r = launched(plain, "x", log)
        assert r.rc == 2 and "logroll: LISTEN_FDS: 'x' is not a number of descriptors" in r.err, r
        r = launched(plain, "2", log)
        assert r.rc == 2 and "logroll: LISTEN_FDS: systemd passed 2 descriptors; logroll takes one FIFO" in r.err, r
        r = launched(plain, "1", log)
        assert r.rc == 2 and "logroll: LISTEN_FDS: the descriptor systemd passed is not a FIFO" in r.err, r
    finally:
        os.close(plain)
    assert not log.exists()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_reaches_notify_socket(tmp_path, abstract):
    """Type=notify: READY=1 goes to $NOTIFY_SOCKET, a path or an abstract name ('@'), once the
    log is open, in pipe mode and in watch mode."""
    name = f"@syskit-e2e-logroll-{os.getpid()}-{id(tmp_path)}" if abstract else os.fspath(tmp_path / "notify")
    log = tmp_path / "app.log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name[1:] if abstract else name)
        sock.settimeout(10)
        lr = Running(log, env={"NOTIFY_SOCKET": name})
        try:
            assert sock.recv(4096) == b"READY=1"
            assert log.exists()
            lr.p.stdin.write(b"a line\n")
            r = lr.finish()
            assert r.rc == 0, r
        finally:
            lr.kill()
        log.write_bytes(b"")
        lr = Running("--watch", "--size", "1M", log, stdin=subprocess.DEVNULL, env={"NOTIFY_SOCKET": name})
        try:
            assert sock.recv(4096) == b"READY=1"
            lr.p.send_signal(signal.SIGTERM)
            assert lr.finish().rc == 0
        finally:
            lr.kill()


# --- naming and retention --------------------------------------------------------------------

def test_once_exit_codes_and_dry_run(run, tmp_path):
    log = tmp_path / "app.log"
    r = run("logroll", "--once", log)
    assert r.rc == 2 and f"logroll: {log}: No such file or directory" in r.err, r
    log.write_bytes(b"")
    assert run("logroll", "--once", log).rc == 1  # empty: nothing to do
    log.write_bytes(lines(0, 100))
    r = run("logroll", "--once", "--size", "1M", log)
    assert r.rc == 1 and not rotated(tmp_path), r
    r = run("logroll", "--once", "--size", "1K", "--dry-run", log)
    assert r.rc == 0, r
    assert "would rotate" in r.err and "dry_run=true" in r.err
    assert not rotated(tmp_path) and log.read_bytes() == lines(0, 100)
    r = run("logroll", "--once", "--size", "1K", log)
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) == 1 and files[0].read_bytes() == lines(0, 100)
    assert not log.exists()
    assert re.search(rf"msg=rotated file={re.escape(str(log))} to={re.escape(str(files[0]))} bytes=\d+ reason=size",
                     r.err), r


def test_once_dry_run_retention_counts_the_rotation_it_would_make(run, tmp_path):
    """--keep 2 with two rotated files already there: the rotation makes a third, so the real
    run deletes the oldest, and the dry run must say so."""
    log = tmp_path / "app.log"
    old = ["app.log.20200101T000000Z", "app.log.20200102T000000Z"]
    for n in old:
        (tmp_path / n).write_bytes(b"old\n")
    log.write_bytes(lines(0, 10))
    r = run("logroll", "--once", "--keep", "2", "--dry-run", log)
    assert r.rc == 0, r
    would = re.findall(r"msg=\"would delete\" file=(\S+)", r.err)
    assert would == [str(tmp_path / old[0])], r
    assert sorted(p.name for p in rotated(tmp_path)) == old  # nothing changed
    r = run("logroll", "--once", "--keep", "2", log)
    assert r.rc == 0, r
    assert re.findall(r"msg=deleted file=(\S+)", r.err) == would, r
    assert [p.name for p in rotated(tmp_path)][0] == old[1]


def test_start_deletes_temporaries_an_interrupted_rotation_left(run, tmp_path):
    """A crash between creating ".NAME.tmp" and renaming it leaves the temporary; the next run,
    holding the lock, deletes it, and only names of this log's rotated files in either scheme."""
    log = tmp_path / "app.log"
    log.write_bytes(lines(0, 10))
    ours = [".app.log.20200101T000000Z.tmp", ".app.log.20200101T000000Z.gz.tmp", ".app.log.7.zst.tmp"]
    theirs = [".other.log.20200101T000000Z.tmp", ".app.log.tmp", ".app.log.20200101T000000Z", "app.log.1.tmp"]
    for n in ours + theirs:
        (tmp_path / n).write_bytes(b"partial\n")
    r = run("logroll", "--once", "--dry-run", log)
    assert r.rc == 0, r
    would = re.findall(r"msg=\"would delete an interrupted rotation's temporary\" file=(\S+)", r.err)
    assert sorted(would) == sorted(str(tmp_path / n) for n in ours), r
    assert all((tmp_path / n).exists() for n in ours + theirs)
    r = run("logroll", "--once", log)
    assert r.rc == 0, r
    deleted = re.findall(r"msg=\"deleted an interrupted rotation's temporary\" file=(\S+) bytes=8", r.err)
    assert sorted(deleted) == sorted(would), r
    assert not any((tmp_path / n).exists() for n in ours)
    assert all((tmp_path / n).exists() for n in theirs)
    assert read_all(tmp_path) == lines(0, 10)


def test_once_age(run, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"x\n")
    assert run("logroll", "--once", "--age", "1h", log).rc == 1
    time.sleep(1.1)
    r = run("logroll", "--once", "--age", "1s", log)
    assert r.rc == 0 and "reason=age" in r.err, r


def test_once_waits_or_refuses_while_another_holds_the_lock(run, tmp_path):
    log = tmp_path / "app.log"
    lr = Running(log)
    try:
        lr.p.stdin.write(b"line\n")
        lr.p.stdin.flush()
        lr.wait_log("msg=started")
        r = run("logroll", "--once", log)
        assert r.rc == 2 and "another logroll is rotating this log" in r.err and "--wait" in r.err, r
        t0 = time.monotonic()
        r = run("logroll", "--once", "--wait", "0.5", log)
        assert r.rc == 2 and "gave up waiting" in r.err, r
        assert time.monotonic() - t0 >= 0.4
        lr.finish()
    finally:
        lr.kill()
    r = run("logroll", "--once", log)
    assert r.rc == 0, r


def test_retention_deletes_only_logroll_names(run, tmp_path):
    log = tmp_path / "app.log"
    theirs = ["app.log.old", "app.log.1", "app.log.20200101T000000Z~", "app.log.20200230T000000Z",
              "app.log.20200101T000000Z.bak", "app.log.2020-01-01", "other.20200101T000000Z", "app.log.01"]
    for n in theirs:
        (tmp_path / n).write_bytes(b"not ours\n")
    (tmp_path / "app.log.20200101T000001Z").mkdir()  # our name, but a directory
    ours = ["app.log.20200101T000000Z", "app.log.20200102T000000Z.gz", "app.log.20200103T000000Z.3.zst"]
    for n in ours:
        (tmp_path / n).write_bytes(b"old\n")
    log.write_bytes(b"current\n")
    r = run("logroll", "--once", "--keep", "2", log)
    assert r.rc == 0, r
    for n in theirs:
        assert (tmp_path / n).read_bytes() == b"not ours\n", n
    assert (tmp_path / "app.log.20200101T000001Z").is_dir()
    left = [p.name for p in rotated(tmp_path)]
    assert left[0] == "app.log.20200103T000000Z.3.zst" and len(left) == 2, left
    assert r.err.count("msg=deleted") == 2


def test_retention_max_total_and_max_age(run, tmp_path):
    log = tmp_path / "app.log"
    for day in range(1, 6):
        p = tmp_path / f"app.log.2020010{day}T000000Z"
        p.write_bytes(b"y" * 1000)
        os.utime(p, (time.time() - 86400 * (10 - day),) * 2)
    log.write_bytes(b"z" * 1000)
    r = run("logroll", "--once", "--max-total", "2500", log)  # the new one + 1 old fit
    assert r.rc == 0, r
    assert [p.name for p in rotated(tmp_path)][0] == "app.log.20200105T000000Z"
    assert len(rotated(tmp_path)) == 2
    log.write_bytes(b"z")
    r = run("logroll", "--once", "--max-age", "2d", log)
    assert r.rc == 0, r
    assert all(not p.name.startswith("app.log.2020") for p in rotated(tmp_path))


def test_collisions_never_overwrite(run, tmp_path):
    log = tmp_path / "app.log"
    now = int(time.time())
    precious = []
    for t in range(now, now + 5):
        name = "app.log." + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
        (tmp_path / name).write_bytes(b"precious\n")
        (tmp_path / (name + ".1.zst")).write_bytes(b"precious\n")
        precious += [name, name + ".1.zst"]
    log.write_bytes(b"new\n")
    r = run("logroll", "--once", log)
    assert r.rc == 0, r
    for n in precious:
        assert (tmp_path / n).read_bytes() == b"precious\n"
    new = [p for p in rotated(tmp_path) if p.read_bytes() == b"new\n"]
    assert len(new) == 1 and re.search(r"\.[2-9]$", new[0].name), new

    for n in ("app.log.1", "app.log.5"):
        (tmp_path / n).write_bytes(b"precious\n")
    log.write_bytes(b"numbered\n")
    r = run("logroll", "--once", "--numbered", log)
    assert r.rc == 0, r
    assert (tmp_path / "app.log.6").read_bytes() == b"numbered\n"
    assert (tmp_path / "app.log.5").read_bytes() == b"precious\n"


# --- watch mode ------------------------------------------------------------------------------

WRITER = r"""
import os, signal, sys
path, pidfile, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
reopen = stop = False
def hup(*_):
    global reopen
    reopen = True
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGHUP, hup)
signal.signal(signal.SIGTERM, term)
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
open(pidfile, "w").write(f"{os.getpid()}\n")
i = 0
while not stop and i < limit:
    if reopen:
        reopen = False
        os.close(fd)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"".join(b"%08d seq\n" % n for n in range(i, i + 50)))
    i += 50
print(i)
"""


def seqs_of(data: bytes) -> list[int]:
    return [int(l.split()[0]) for l in data.splitlines()]


def rotate_a_reopening_writer(tmp_path: Path, rotations: int, *reopen) -> None:
    """A writer appending sequence-numbered lines as fast as it can, reopening on SIGHUP, and
    logroll --watch rotating its log at 64K with the reopen options given, until the number
    of rotations is reached.  Until the writer reopens, its lines go to the renamed file and
    the log stays empty, so each rotation after the first needs the reopen to have worked.
    No sequence number may be lost or repeated."""
    log = tmp_path / "app.log"
    pidfile = tmp_path / "writer.pid"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, log, pidfile, "100000000"], stdout=subprocess.PIPE)
    wait_until(pidfile.exists, timeout=15, what="the writer's pid file")
    lr = Running("--watch", log, "--size", "64K", *[str(a).format(pidfile=pidfile) for a in reopen])
    try:
        wait_until(lambda: len(rotated(tmp_path)) >= rotations, timeout=40, what=f"{rotations} rotations")
        writer.send_signal(signal.SIGTERM)
        total = int(writer.communicate(timeout=10)[0])
        time.sleep(0.3)
        lr.p.send_signal(signal.SIGTERM)
        r = lr.finish()
    finally:
        writer.kill()
        lr.kill()
    assert r.rc == 0, r
    assert r.err.count("method=rename") >= rotations
    got = seqs_of(read_all(tmp_path))
    assert len(got) == total and sorted(got) == list(range(total)), "sequence numbers lost or repeated"


def test_watch_rename_with_sighup_loses_and_repeats_nothing(tmp_path):
    rotate_a_reopening_writer(tmp_path, 20, "--pidfile", "{pidfile}")


def test_watch_rename_with_reopen_cmd(tmp_path):
    """--reopen-cmd instead of --signal: the command, run by /bin/sh, makes the writer reopen."""
    rotate_a_reopening_writer(tmp_path, 5, "--reopen-cmd", "kill -HUP $(cat '{pidfile}')")


def append_in_bursts(lr: "Running", log: Path, count: int, size: int, rotated_line: str, tail: bytes = b"") -> bytes:
    """Appends count bursts of size lines to log, as another program would, waiting after each
    for lr's count-th rotated_line; then tail.  Returns everything written."""
    sent = b""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for i in range(count):
            chunk = lines(i * size, size)
            os.write(fd, chunk)
            sent += chunk
            lr.wait_log(rotated_line, count=i + 1)
        os.write(fd, tail)
    finally:
        os.close(fd)
    return sent + tail


def test_watch_interval_rotation(tmp_path):
    """--watch --interval 1s: the log another program appends to is rotated on each second."""
    log = tmp_path / "app.log"
    lr = Running("--watch", log, "--interval", "1s", "--method", "copytruncate")
    try:
        lr.wait_log("msg=watching")
        sent = append_in_bursts(lr, log, 3, 10, "reason=interval")
        lr.p.send_signal(signal.SIGTERM)
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    assert len(rotated(tmp_path)) == 3, r
    assert read_all(tmp_path) == sent


def test_watch_copytruncate(tmp_path):
    log = tmp_path / "app.log"
    lr = Running("--watch", log, "--size", "10K", "--method", "copytruncate")
    try:
        lr.wait_log("msg=watching")
        # Quiet after each burst until its rotation: nothing can fall in the copy's window.
        sent = append_in_bursts(lr, log, 3, 1000, "method=copytruncate", tail=lines(3000, 10))
        lr.p.send_signal(signal.SIGTERM)
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    assert "bytes_during_copy=0" in r.err
    assert len(rotated(tmp_path)) == 3
    assert read_all(tmp_path) == sent


# Appends 50 sequence-numbered lines per write, about 6 MB/s, until SIGTERM; prints the count.
def test_copytruncate_splits_no_line_and_loses_less_than_logrotate(run, tmp_path):
    """Two writers appending as fast as they can, one log rotated by logroll --once --method
    copytruncate, the other by logrotate's copytruncate, five times each, turn about: every
    file logroll makes ends at a line end, no line is split or repeated, the log lines report
    the bytes lost, and fewer lines are lost than logrotate loses."""
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(logrotate), "logrotate is missing: scripts/install-deps installs it"
    ours, theirs = tmp_path / "logroll", tmp_path / "logrotate"
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"{theirs}/app.log {{\n  copytruncate\n  rotate 1000\n}}\n")
    for d in (ours, theirs):
        d.mkdir()
    with SteadyWriters([ours, theirs]) as writers:
        err = ""
        for _ in range(5):
            time.sleep(0.2)
            r = run("logroll", "--once", "--method", "copytruncate", ours / "app.log")
            assert r.rc == 0, r
            err += r.err
            p = subprocess.run([logrotate, "-f", "-s", tmp_path / "state", conf], capture_output=True)
            assert p.returncode == 0, p
        totals = writers.stop()
    files = rotated(ours)
    assert len(files) == 5
    for f in files:
        assert f.read_bytes().endswith(b"\n"), f"{f} ends inside a line"
    got = read_all(ours).split(b"\n")
    assert got.pop() == b""
    assert all(re.fullmatch(rb"\d{8} seq", l) for l in got), "a line split or merged"
    seqs = [int(l[:8]) for l in got]
    assert len(set(seqs)) == len(seqs), "lines repeated"
    lost_ours = totals[0] - len(seqs)
    reported = [int(n) for n in re.findall(r"bytes_lost=(\d+)", err)]
    assert len(reported) == 5, err
    assert sum(reported) <= lost_ours * len(b"00000000 seq\n")
    kept = [theirs / f"app.log.{i}" for i in range(5, 0, -1)] + [theirs / "app.log"]
    theirs_got = {l for f in kept for l in f.read_bytes().split(b"\n") if re.fullmatch(rb"\d{8} seq", l)}
    lost_theirs = totals[1] - len(theirs_got)
    print(f"lines lost per rotation: logroll {lost_ours / 5:.0f} of {totals[0]}, logrotate {lost_theirs / 5:.0f} of {totals[1]}; "
          f"logroll reported {sum(reported)} bytes lost")
    assert lost_ours == 0 or lost_ours < lost_theirs, (lost_ours, lost_theirs)


def test_watch_needs_a_condition(run, tmp_path):
    r = run("logroll", "--watch", tmp_path / "app.log")
    assert r.rc == 2 and "logroll: --watch: needs --size or --interval" in r.err, r


def decompressed(p: Path) -> bytes:
    data = p.read_bytes()
    if p.name.endswith(".gz"):
        return gzip.decompress(data)
    if p.name.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq"], input=data, check=True, stdout=subprocess.PIPE).stdout
    return data


@pytest.mark.parametrize("algo,numbered", [("gzip", False), ("zstd", False), ("zstd", True)])
def test_retention_never_deletes_what_is_queued_for_compression(run, tmp_path, algo, numbered):
    """Six rotations arrive faster than they are compressed, with --keep 2: retention must
    leave the queued files to the compressor (which used to fail on them) and keep the newest 2."""
    data = b"".join(b"%d\n" % i for i in range(1, 1_000_001))
    r = run("logroll", "--size", "1M", "--keep", "2", "--compress", algo, *(["--numbered"] if numbered else []),
            tmp_path / "app.log", input=data)
    assert r.rc == 0, r
    assert "failed" not in r.err, r
    ext = ".gz" if algo == "gzip" else ".zst"
    pat = r"app\.log\.\d+" if numbered else rf"app\.log\.{STAMP}(\.\d+)?"
    kept = sorted((p for p in tmp_path.iterdir() if re.fullmatch(pat + re.escape(ext), p.name)),
                  key=lambda p: int(p.name.split(".")[2])) if numbered else rotated(tmp_path)
    assert len(kept) == 2, sorted(p.name for p in tmp_path.iterdir())
    assert not [p for p in tmp_path.iterdir() if re.fullmatch(pat, p.name)]  # all compressed
    tail = b"".join(decompressed(p) for p in kept) + (tmp_path / "app.log").read_bytes()
    assert tail and data.endswith(tail) and data[-len(tail) - 1:-len(tail)] == b"\n"
    assert r.err.count("msg=compressed") == r.err.count("msg=rotated") == 6, r


class HeldOpen:
    """A writer that opened the log once and never reopens it, as a program without a reopen
    signal does: after a rename its lines go on into the rotated file."""

    def __init__(self, log: Path):
        self.fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.sent = b""

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)
        self.sent += data

    def close(self) -> None:
        os.close(self.fd)


def test_retention_never_deletes_a_file_a_writer_still_holds(run, tmp_path):
    log = tmp_path / "app.log"
    w = HeldOpen(log)
    try:
        w.write(b"first\n")
        assert run("logroll", "--once", "--keep", "1", log).rc == 0
        held = rotated(tmp_path)[0]
        log.write_bytes(b"second\n")  # a new log, from another program
        r = run("logroll", "--once", "--keep", "1", log)
        assert r.rc == 0, r
        assert held.exists(), "deleted while a writer still appends to it"
        assert f"msg=\"not deleted: a process still holds it open for writing\" file={held}" in r.err, r
        w.write(b"after\n")
    finally:
        w.close()
    assert held.read_bytes() == b"first\nafter\n"
    log.write_bytes(b"third\n")
    r = run("logroll", "--once", "--keep", "1", log)  # closed now: retention may take it
    assert r.rc == 0, r
    assert not held.exists() and [f.read_bytes() for f in rotated(tmp_path)] == [b"third\n"]


def test_compression_waits_for_the_writer_to_close(run, tmp_path):
    """--compress after a rename the writer never follows: the rotated file is left as it is
    (with a warning) while the writer holds it, and a later run compresses it once closed."""
    log = tmp_path / "app.log"
    w = HeldOpen(log)
    try:
        w.write(lines(0, 100))
        r = run("logroll", "--once", "--compress", "gzip", log, timeout=30)
        assert r.rc == 0, r
        assert "still holds it open for writing" in r.err, r
        [held] = rotated(tmp_path)
        assert not held.name.endswith(".gz")
        w.write(lines(100, 100))
    finally:
        w.close()
    log.write_bytes(lines(200, 10))
    r = run("logroll", "--once", "--compress", "gzip", log)
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) == 2 and all(f.name.endswith(".gz") for f in files), files
    assert read_all(tmp_path) == lines(0, 210)


def test_watch_compresses_once_the_writer_lets_go(tmp_path):
    """Watch mode, rename, no way to make the writer reopen: logroll retries the compression
    and does it as soon as the writer closes the rotated file; no line is lost."""
    log = tmp_path / "app.log"
    w = HeldOpen(log)
    lr = Running("--watch", log, "--size", "4K", "--compress", "gzip")
    try:
        lr.wait_log("msg=watching")
        for i in range(20):
            w.write(lines(i * 50, 50))
            time.sleep(0.05)
        lr.wait_log("still holds it open for writing")
        for i in range(20, 30):
            w.write(lines(i * 50, 50))
        w.close()
        lr.wait_log("msg=compressed")
        lr.p.send_signal(signal.SIGTERM)
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) == 1 and files[0].name.endswith(".gz"), files
    assert read_all(tmp_path) == w.sent


def test_next_run_compresses_what_a_crash_left_uncompressed(run, tmp_path):
    """A crash during compression leaves the rotated file (and the temporary, or, after the
    rename, both forms); the next run with --compress finishes the job, and --dry-run only says so."""
    log = tmp_path / "app.log"
    (tmp_path / "app.log.20200101T000000Z").write_bytes(b"old\n")
    (tmp_path / ".app.log.20200101T000000Z.gz.tmp").write_bytes(b"partial")
    (tmp_path / "app.log.20200102T000000Z").write_bytes(b"both\n")
    (tmp_path / "app.log.20200102T000000Z.gz").write_bytes(gzip.compress(b"both\n"))
    log.write_bytes(b"new\n")
    def listing():
        return sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.name != ".logroll.lock")
    before = listing()
    r = run("logroll", "--once", "--compress", "gzip", "--dry-run", log)
    assert r.rc == 0, r
    assert f"msg=\"would compress\" file={tmp_path / 'app.log.20200101T000000Z'}" in r.err, r
    assert listing() == before
    r = run("logroll", "--once", "--compress", "gzip", log)
    assert r.rc == 0, r
    files = rotated(tmp_path)
    assert len(files) == 3 and all(f.name.endswith(".gz") for f in files), files
    assert read_all(tmp_path) == b"old\nboth\nnew\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("args,subject", [
    (["--size", "lots", "x"], "--size"),
    (["--interval", "1y", "x"], "--interval"),
    (["--keep", "0", "x"], "--keep"),
    (["--compress", "lzma", "x"], "--compress"),
    (["--once", "--method", "move", "x"], "--method"),
    (["--log-format", "xml", "x"], "--log-format"),
])
def test_bad_options(run, args, subject):
    r = run("logroll", *args)
    assert r.rc == 2, r
    assert r.err.startswith(f"logroll: {subject}: "), r


def test_missing_directory(run, tmp_path):
    r = run("logroll", tmp_path / "nope" / "app.log", input=b"x\n")
    assert r.rc == 2 and f"logroll: {tmp_path / 'nope'}: No such file or directory" in r.err, r


# --- a full disk -----------------------------------------------------------------------------

@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with mounted_tmpfs(mnt, "16m"):
        yield mnt


def test_full_disk_blocks_the_writer_and_loses_nothing(small_fs):
    filler = small_fs / "filler"
    filler.write_bytes(b"\0" * (14 << 20))  # 2 MiB left
    log = small_fs / "app.log"
    data = lines(0, 120_000, 40)  # about 7 MB
    lr = Running("--size", "512K", log)
    progress = [0]

    def feed():
        try:
            for off in range(0, len(data), 65536):
                lr.p.stdin.write(data[off:off + 65536])
                lr.p.stdin.flush()
                progress[0] = off + 65536
            lr.p.stdin.close()
        except BrokenPipeError:
            pass

    t = threading.Thread(target=feed)
    t.start()
    try:
        lr.wait_log("no space left")
        time.sleep(1.5)
        stalled = progress[0]
        time.sleep(1.5)
        assert progress[0] == stalled < len(data), "the writer did not block"
        assert lr.p.poll() is None
        before = {p.name: p.read_bytes() for p in rotated(small_fs)}
        filler.unlink()  # space comes back
        t.join(timeout=30)
        r = lr.finish()
    finally:
        lr.kill()
    assert r.rc == 0, r
    assert r.err.count("no space left") == 1  # reported once, not every retry
    assert "space is back" in r.err
    for name, content in before.items():  # nothing deleted to make room
        assert (small_fs / name).read_bytes() == content
    assert read_all(small_fs) == data


def test_full_disk_once_copytruncate_leaves_the_log(run, small_fs):
    log = small_fs / "app.log"
    log.write_bytes(lines(0, 50_000, 40))  # ~2.9 MB
    (small_fs / "filler").write_bytes(b"\0" * ((16 << 20) - log.stat().st_size - (1 << 20)))
    r = run("logroll", "--once", "--method", "copytruncate", log)
    assert r.rc == 2, r
    assert "rotation failed, the log is left as it was" in r.err
    assert log.read_bytes() == lines(0, 50_000, 40)
    assert not rotated(small_fs)
    assert [p.name for p in small_fs.iterdir() if p.name.endswith(".tmp")] == []

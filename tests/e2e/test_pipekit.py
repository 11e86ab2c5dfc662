"""End-to-end tests of pipekit: run, fifo, send/recv, filter and pump, run as a user would."""
import gzip
import os
import pty
import random
import select
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import (NOBODY, SETPRIV, assert_no_sanitizer_report, Result, tool_env, tool_path, unread_bytes,
                      wait_until)

PIPEKIT = os.fspath(tool_path("pipekit"))


def start(*args, **kw) -> subprocess.Popen:
    """pipekit started in the background, stdout and stderr captured."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([PIPEKIT, *map(os.fspath, args)], env=tool_env(), **kw)


def finish(p: subprocess.Popen, timeout: float = 30) -> Result:
    out, err = p.communicate(timeout=timeout)
    r = Result(p.args, p.returncode, out or b"", (err or b"").decode("utf-8", "surrogateescape"))
    assert_no_sanitizer_report(r)
    return r


def make_fifo(run, d: Path) -> Path:
    r = run("pipekit", "fifo", "--dir", d)
    assert r.rc == 0, r
    return Path(r.text.strip())


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def open_writer(path: Path, timeout: float = 10) -> int:
    """A raw writer on the FIFO, once a reader has it open."""
    end = time.monotonic() + timeout
    while True:
        try:
            return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            assert time.monotonic() < end, "no reader came"
            time.sleep(0.01)


def unread_in_fifo(path: Path) -> int:
    """How many bytes written to the FIFO its reader has not read yet (FIONREAD, through a
    writer of our own: a pipe's count is the same from either end)."""
    fd = open_writer(path)
    try:
        return unread_bytes(fd)
    finally:
        os.close(fd)


def read_lines(p: subprocess.Popen, n: int, timeout: float = 10) -> list[str]:
    """The next n lines p writes on stdout, as they come."""
    got = b""
    end = time.monotonic() + timeout
    while got.count(b"\n") < n:
        assert time.monotonic() < end, f"{n} lines not written within {timeout} s: {got!r}"
        if select.select([p.stdout], [], [], 0.1)[0]:
            chunk = os.read(p.stdout.fileno(), 65536)
            assert chunk, f"stdout closed after {got!r}"
            got += chunk
    assert got.count(b"\n") == n and got.endswith(b"\n"), got
    return got.decode().splitlines()


def children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


# ---- run -----------------------------------------------------------------------------------

def test_run_builds_the_pipeline_without_a_shell(run):
    r = run("pipekit", "run", "printf '%s\\n' \"a  b\" $HOME 'c;d' *", "tr a-z A-Z")
    assert r.rc == 0, r
    assert r.text == "A  B\n$HOME\nC;D\n*\n", r
    r = run("pipekit", "run", "cat", "sort -r", input=b"1\n3\n2\n")
    assert r.text == "3\n2\n1\n", r


def test_run_status_and_pipefail(run):
    r = run("pipekit", "run", "--status", "sh -c 'echo x; exit 3'", "cat", "wc -l")
    assert r.rc == 3, r
    assert r.text.strip() == "1", r
    assert r.err_lines() == ["pipekit: status: 3 0 0"], r
    r = run("pipekit", "run", "--status", "true", "sh -c 'exit 5'", "sh -c 'exit 7'")
    assert r.rc == 7, r
    assert r.err_lines() == ["pipekit: status: 0 5 7"], r
    r = run("pipekit", "run", "--status", "true", "true")
    assert (r.rc, r.err) == (0, "pipekit: status: 0 0\n"), r


def test_run_sigpipe_in_a_stage_is_its_status(run):
    r = run("pipekit", "run", "--status", "yes", "head -n 3")
    assert r.text == "y\ny\ny\n", r
    assert r.err_lines() == ["pipekit: status: 141 0"], r
    assert r.rc == 141, r


def test_run_names_a_stage_that_cannot_start_and_starts_nothing(run, tmp_path):
    marker = tmp_path / "ran"
    r = run("pipekit", "run", f"touch {marker}", "no-such-command-xyzzy -v")
    assert r.rc == 2, r
    assert r.err_lines() == ["pipekit: stage 2 (no-such-command-xyzzy): cannot run no-such-command-xyzzy: "
                             "command not found"], r
    assert not marker.exists()
    plain = tmp_path / "script"
    plain.write_text("#!/bin/sh\necho hi\n")
    plain.chmod(0o644)
    r = run("pipekit", "run", "true", f"{plain} x")
    assert r.rc == 2, r
    assert r.err_lines() == [f"pipekit: stage 2 ({plain}): cannot run {plain}: not an executable file "
                             "(Permission denied)"], r
    r = run("pipekit", "run", f"{tmp_path}")
    assert r.rc == 2 and "is a directory" in r.err, r


def test_run_usage_errors_in_words(run):
    r = run("pipekit", "run", "echo 'open")
    assert r.rc == 2, r
    assert r.err_lines() == ["pipekit: stage 1: a single quote is not closed",
                             "Try 'pipekit --help' for more information."], r
    r = run("pipekit", "run", "-t", "x", "true")
    assert r.err_lines()[0] == "pipekit: --timeout: 'x' is not a number of seconds above 0", r
    r = run("pipekit")
    assert r.rc == 2 and r.err_lines()[0] == "pipekit: a command is required", r


def test_run_timeout_ends_the_whole_process_group(run, tmp_path):
    pids = tmp_path / "pids"
    t0 = time.monotonic()
    r = run("pipekit", "run", "--timeout", "0.5", f"sh -c 'sleep 30 & echo $! > {pids}; wait'", "cat")
    took = time.monotonic() - t0
    assert r.rc == 124, r
    assert "ran out of time after 0.5 s" in r.err, r
    assert took < 10, took
    grandchild = int(pids.read_text())
    # The grandchild was in the group: it is gone too (or a zombie waiting for init).
    assert wait_until(lambda: not Path(f"/proc/{grandchild}").exists()
                      or "State:\tZ" in Path(f"/proc/{grandchild}/status").read_text(), 5)


def test_run_timeout_escalates_to_sigkill(run):
    r = run("pipekit", "run", "-t", "0.3", "-k", "0.3", "sh -c 'trap \"\" TERM; sleep 30'")
    assert r.rc == 124, r
    assert "with SIGKILL" in r.err, r


def test_run_passes_sigterm_on_to_the_stages():
    p = start("run", "--status", "sleep 30", "cat")
    # pipekit blocks the signals before it starts the stages: once they are there, it handles
    # SIGTERM (before, the signal would end pipekit itself).
    wait_until(lambda: len(children(p.pid)) == 2, what="the two stages")
    p.send_signal(signal.SIGTERM)
    r = finish(p, 10)
    assert r.rc == 143, r
    assert r.err_lines() == ["pipekit: status: 143 143"], r


# ---- fifo ----------------------------------------------------------------------------------

def test_fifo_is_new_unpredictable_and_owner_only(run, tmp_path):
    old = os.umask(0)
    try:
        a = make_fifo(run, tmp_path)
        b = make_fifo(run, tmp_path)
    finally:
        os.umask(old)
    assert a != b and a.parent == tmp_path
    assert a.name.startswith("pipekit.") and len(a.name) == len("pipekit.") + 16
    st = os.lstat(a)
    assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    r = run("pipekit", "fifo", "--dir", tmp_path, "--mode", "0640")
    assert stat.S_IMODE(os.lstat(r.text.strip()).st_mode) == 0o640
    r = run("pipekit", "fifo", env={"TMPDIR": os.fspath(tmp_path)})
    assert Path(r.text.strip()).parent == tmp_path, r


def test_fifo_errors(run, tmp_path):
    r = run("pipekit", "fifo", "--mode", "0666")
    assert r.rc == 2, r
    assert r.err_lines()[0] == "pipekit: --mode: 0666 lets other users write into the FIFO; pipekit refuses such FIFOs"
    r = run("pipekit", "fifo", "--dir", tmp_path / "missing")
    assert r.rc == 2, r
    assert r.err_lines() == [f"pipekit: {tmp_path}/missing: open: No such file or directory"], r


# ---- send / recv ---------------------------------------------------------------------------

def test_mailbox_lines_until_the_eod_record(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "-v", f)
    tasks = "".join(f"task {i}\n" for i in range(10)).encode()
    r = run("pipekit", "send", "-v", f, input=tasks)
    assert r.rc == 0, r
    assert r.err.startswith("pipekit: send: 10 records, 60 bytes in "), r
    got = finish(reader)
    assert got.rc == 0, got
    assert got.out == tasks
    assert got.err.startswith("pipekit: recv: 10 records, 60 bytes in "), got


def test_mailbox_custom_eod_stops_the_reader_early(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "--eod", "STOP", f)
    fd = open_writer(f)
    os.set_blocking(fd, True)
    os.write(fd, b"one\ntwo\nSTOP\nnever\n")
    got = finish(reader)
    os.close(fd)
    assert (got.rc, got.out) == (0, b"one\ntwo\n"), got
    r = run("pipekit", "send", "-t", "5", f, input=b"a\nEOD\nb\n")
    assert r.rc in (2, 124), r


def test_send_refuses_a_record_equal_to_the_eod(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", f)
    r = run("pipekit", "send", f, input=b"a\nEOD\nb\n")
    assert r.rc == 2, r
    assert r.err_lines() == ["pipekit: stdin: record 2 is the end-of-data record 'EOD': the reader would stop "
                             "there; choose another with --eod"], r
    got = finish(reader)
    assert got.out == b"", got
    # The writer gave up before its EOD: the reader does not take what came for the whole.
    assert got.rc == 2, got
    assert got.err_lines() == [f"pipekit: {f}: the last writer went away without sending the end-of-data record "
                               "'EOD', after 0 records"], got


def test_recv_end_without_eod_is_trouble_unless_none_is_expected(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", f)
    fd = open_writer(f)
    os.write(fd, b"a\nb\n")
    os.close(fd)
    got = finish(reader)
    assert (got.rc, got.out) == (2, b"a\nb\n"), got
    assert "without sending the end-of-data record 'EOD', after 2 records" in got.err, got
    reader = start("recv", "--no-eod", f)
    r = run("pipekit", "send", "--no-eod", f, input=b"a\nb\n")
    assert r.rc == 0, r
    got = finish(reader)
    assert (got.rc, got.out, got.err) == (0, b"a\nb\n", ""), got


@pytest.mark.parametrize("compress", ["none", "gzip", "zstd"])
def test_mailbox_frames_carry_any_bytes(run, tmp_path, compress):
    f = make_fifo(run, tmp_path)
    records = [b"multi\nline", b"", b"tab\there", bytes(range(1, 256)), b"x" * 100000]
    reader = start("recv", "--frame", "-0", "-z", compress, f)
    src = tmp_path / "records"
    src.write_bytes(b"".join(r + b"\0" for r in records))
    r = run("pipekit", "send", "--frame", "-0", "-z", compress, f, src)
    assert r.rc == 0, r
    got = finish(reader)
    assert got.rc == 0, got
    assert got.out.split(b"\0")[:-1] == records


def test_mailbox_many_concurrent_framed_writers_never_interleave(run, tmp_path):
    f = make_fifo(run, tmp_path)
    writers, per_writer = 8, 3000
    sink = open(tmp_path / "received", "wb")
    reader = start("recv", "--frame", "-0", f, stdout=sink)
    rng = random.Random(16)
    inputs = []
    for w in range(writers):
        recs = [f"w{w} r{i} ".encode() + bytes([65 + w]) * rng.choice([1, 50, 400, 3000, 9000])
                for i in range(per_writer)]
        path = tmp_path / f"in{w}"
        path.write_bytes(b"".join(r + b"\0" for r in recs))
        inputs.append(recs)
    # Each writer sends no EOD; the test holds the FIFO open for writing meanwhile, so that the
    # reader does not see its last writer go between two of them, then sends the EOD.
    holder = open_writer(f)
    procs = [start("send", "--frame", "-0", "--no-eod", f, tmp_path / f"in{w}") for w in range(writers)]
    for p in procs:
        r = finish(p, 60)
        assert r.rc == 0, r
    assert run("pipekit", "send", "--frame", f, input=b"").rc == 0
    os.close(holder)
    got = finish(reader, 60)
    sink.close()
    assert got.rc == 0, got
    records = (tmp_path / "received").read_bytes().split(b"\0")[:-1]
    assert len(records) == writers * per_writer
    seen = {w: [] for w in range(writers)}
    for rec in records:
        head, _, body = rec.partition(b" r")
        w = int(head[1:])
        seen[w].append(rec)
    for w in range(writers):
        assert seen[w] == inputs[w], f"writer {w}'s records were mixed or reordered"


def test_mailbox_atomic_writes_interleave_with_a_foreign_writer_at_record_boundaries(run, tmp_path):
    f = make_fifo(run, tmp_path)
    sink = open(tmp_path / "received", "wb")
    reader = start("recv", f, stdout=sink)
    fd = open_writer(f)
    os.set_blocking(fd, True)
    lines = [f"pipekit {i} ".encode() + b"p" * 100 for i in range(20000)]
    sender = start("send", "--atomic", "--no-eod", f, stdin=subprocess.PIPE)
    t = threading.Thread(target=lambda: (sender.stdin.write(b"\n".join(lines) + b"\n"), sender.stdin.close()))
    t.start()
    for i in range(2000):
        os.write(fd, f"foreign {i} ".encode() + b"f" * 100 + b"\n")
    t.join()
    assert sender.wait(30) == 0, sender.stderr.read()
    os.write(fd, b"EOD\n")
    os.close(fd)
    assert finish(reader).rc == 0
    sink.close()
    out = (tmp_path / "received").read_bytes().split(b"\n")[:-1]
    assert [x for x in out if x.startswith(b"pipekit ")] == lines
    assert len([x for x in out if x.startswith(b"foreign ")]) == 2000
    assert len(out) == 22000


def test_send_times_out_without_a_reader(run, tmp_path):
    f = make_fifo(run, tmp_path)
    t0 = time.monotonic()
    r = run("pipekit", "send", "-t", "0.3", f, input=b"x\n")
    assert r.rc == 124, r
    assert r.err_lines() == [f"pipekit: {f}: no reader after 0.3 s"], r
    assert time.monotonic() - t0 < 5


def test_recv_times_out_without_a_writer_and_between_records(run, tmp_path):
    f = make_fifo(run, tmp_path)
    r = run("pipekit", "recv", "-t", "0.3", f)
    assert r.rc == 124, r
    assert r.err_lines() == [f"pipekit: {f}: no writer for 0.3 s"], r
    reader = start("recv", "-t", "0.5", f)
    fd = open_writer(f)
    os.write(fd, b"first\n")
    got = finish(reader)
    os.close(fd)
    assert got.rc == 124, got
    assert got.out == b"first\n"
    assert got.err_lines() == [f"pipekit: {f}: no record for 0.5 s"], got


def test_recv_writer_vanishing_mid_frame(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "--frame", f)
    fd = open_writer(f)
    os.write(fd, frame(b"complete") + frame(b"cut short")[:7])
    os.close(fd)
    got = finish(reader)
    assert got.rc == 2, got
    assert got.out == b"complete\n"
    assert got.err_lines() == [f"pipekit: {f}: the writer went away in the middle of record 2 (7 bytes of it "
                               "came); it is not printed"], got


def test_recv_refuses_a_frame_beyond_max_frame(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "--frame", "--max-frame", "1K", f)
    fd = open_writer(f)
    os.write(fd, frame(b"ok") + struct.pack(">I", 2_000_000_000))
    got = finish(reader)
    os.close(fd)
    assert got.rc == 2, got
    assert got.out == b"ok\n"
    assert got.err_lines() == [f"pipekit: {f}: record 2 is longer than --max-frame (1024 bytes, its frame says "
                               "2000000000)"], got


def test_send_refuses_a_record_beyond_max_frame(run, tmp_path):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "--frame", f)
    r = run("pipekit", "send", "--frame", "--max-frame", "100", f, input=b"short\n" + b"L" * 200 + b"\n")
    assert r.rc == 2, r
    assert r.err_lines() == ["pipekit: stdin: record 2 is longer than --max-frame (100 bytes)"], r
    got = finish(reader)
    assert got.out == b"", got  # the batch holding record 1 was never written
    assert got.rc == 2 and "without sending the end-of-data record" in got.err, got


@pytest.mark.parametrize("compress,bad,why", [
    ("gzip", b"not gzip at all", "corrupt gzip data"),
    ("zstd", b"not zstd at all", "corrupt zstd data"),
    ("gzip", gzip.compress(b"x" * 1000, mtime=0)[:-6], "truncated gzip data"),
], ids=["gzip-garbage", "zstd-garbage", "gzip-truncated"])
def test_recv_refuses_a_corrupt_compressed_frame(run, tmp_path, compress, bad, why):
    f = make_fifo(run, tmp_path)
    reader = start("recv", "--frame", "-z", compress, f)
    fd = open_writer(f)
    good = gzip.compress(b"good", mtime=0) if compress == "gzip" else None
    if good:
        os.write(fd, frame(good))
    os.write(fd, frame(bad))
    os.close(fd)
    got = finish(reader)
    assert got.rc == 2, got
    assert got.out == (b"good\n" if good else b""), got
    n = 2 if good else 1
    assert got.err.startswith(f"pipekit: {f}: record {n}: {why}"), got


def test_mailbox_refuses_what_is_not_a_safe_fifo(run, tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    r = run("pipekit", "recv", plain)
    assert (r.rc, r.err) == (2, f"pipekit: {plain}: is not a FIFO (a regular file)\n"), r
    r = run("pipekit", "send", "-t", "1", plain, input=b"x\n")
    assert (r.rc, r.err) == (2, f"pipekit: {plain}: is not a FIFO (a regular file)\n"), r
    assert plain.read_bytes() == b""
    f = make_fifo(run, tmp_path)
    link = tmp_path / "link"
    link.symlink_to(f)
    r = run("pipekit", "recv", link)
    assert (r.rc, r.err) == (2, f"pipekit: {link}: is a symbolic link: refusing to follow it\n"), r
    os.mkfifo(tmp_path / "open", 0o600)
    os.chmod(tmp_path / "open", 0o622)
    r = run("pipekit", "recv", tmp_path / "open")
    assert r.rc == 2 and "can be written by other users (mode 0622)" in r.err, r
    r = run("pipekit", "recv", tmp_path / "missing")
    assert (r.rc, r.err) == (2, f"pipekit: {tmp_path}/missing: open: No such file or directory\n"), r


def test_mailbox_refuses_a_fifo_planted_by_another_user(run, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can plant a FIFO as another user")
    # A sticky world-writable directory, as /tmp is, where nobody can plant a name first.
    d = Path(tempfile.mkdtemp(prefix="pipekit-e2e-"))
    try:
        d.chmod(0o1777)
        planted = d / "mailbox"
        subprocess.run([SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
                        "mkfifo", "-m", "0600", planted], check=True)
        r = run("pipekit", "send", "-t", "1", planted, input=b"secret\n")
        assert r.rc == 2, r
        assert r.err == (f"pipekit: {planted}: is owned by uid {NOBODY}, not 0: refusing a FIFO another user may "
                         "have planted\n"), r
        r = run("pipekit", "filter", planted)
        assert r.rc == 2 and "is owned by uid" in r.err, r
    finally:
        shutil.rmtree(d)


def test_send_reports_epipe_when_the_reader_goes_away(run, tmp_path):
    f = make_fifo(run, tmp_path)
    rfd = os.open(f, os.O_RDONLY | os.O_NONBLOCK)
    sender = start("send", f, stdin=subprocess.PIPE)
    sender.stdin.write(b"line\n" * 1000)
    sender.stdin.flush()
    # The reader goes away only once the sender has opened the FIFO and written to it: one
    # slow to start (the sanitizers) would otherwise wait for a reader while this test fills
    # its standard input, both for ever.
    assert select.select([rfd], [], [], 30)[0], "the sender wrote nothing into the FIFO"
    os.close(rfd)
    try:
        sender.stdin.write(b"more\n" * 200000)
        sender.stdin.close()
    except BrokenPipeError:
        pass
    r = finish(sender)
    assert r.rc == 2, r
    assert f"pipekit: {f}: the reader went away (EPIPE) after " in r.err, r


# ---- filter --------------------------------------------------------------------------------

LOG = (b"2026-12-01T10:00:00Z ERROR: disk full\n"
       b"[info] started\n"
       b"time=1 level=crit msg=\"on fire\"\n"
       b"{\"ts\":1,\"level\":\"warn\",\"msg\":\"slow\"}\n"
       b"<11>Dec  1 10:00:00 host app[1]: failed\n"
       b"<14>Dec  1 10:00:00 host app[1]: fine\n"
       b"no level at all\n"
       b"{\"level\":50,\"msg\":\"bunyan\"}\n")


def test_filter_keeps_lines_at_or_above_the_level(run, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(LOG)
    r = run("pipekit", "filter", log)
    assert r.rc == 0, r
    assert r.lines() == ["2026-12-01T10:00:00Z ERROR: disk full", "time=1 level=crit msg=\"on fire\"",
                         "<11>Dec  1 10:00:00 host app[1]: failed", "{\"level\":50,\"msg\":\"bunyan\"}"], r
    r = run("pipekit", "filter", "--level", "warning", input=LOG)
    assert len(r.lines()) == 5, r
    r = run("pipekit", "filter", "--level", "all", "--count", log)
    assert r.lines() == ["crit 1", "error 3", "warning 1", "info 2", "none 1"], r
    r = run("pipekit", "filter", "-c", log)
    assert r.lines() == ["crit 1", "error 3"], r


def test_filter_errors(run, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(LOG)
    r = run("pipekit", "filter", "--follow", log)
    assert (r.rc, r.err) == (2, f"pipekit: {log}: --follow needs a FIFO, and this is not one\n"), r
    r = run("pipekit", "filter", tmp_path / "nope")
    assert (r.rc, r.err) == (2, f"pipekit: {tmp_path}/nope: No such file or directory\n"), r
    r = run("pipekit", "filter", "--level", "loud", log)
    assert r.rc == 2 and r.err_lines()[0].startswith("pipekit: --level: 'loud' is not a level"), r


def test_filter_from_a_fifo_ends_with_its_writer(run, tmp_path):
    f = make_fifo(run, tmp_path)
    p = start("filter", f)
    fd = open_writer(f)
    os.write(fd, LOG)
    os.close(fd)
    r = finish(p)
    assert r.rc == 0 and len(r.lines()) == 4, r


def test_filter_follow_survives_writers_coming_and_going(run, tmp_path):
    f = make_fifo(run, tmp_path)
    p = start("filter", "--follow", f)
    for i in range(5):
        fd = open_writer(f)
        os.write(fd, f"ERROR: from writer {i}\n[info] noise {i}\n".encode())
        # The last writer leaves half a line: it is judged as a line of its own once pipekit has
        # seen the writer go.  The next writer waits for that: one that opened the FIFO before
        # pipekit read the end would continue the half line, as the FIFO never ended.
        os.write(fd, f"[error] unfinished {i}".encode())
        os.close(fd)
        assert read_lines(p, 2) == [f"ERROR: from writer {i}", f"[error] unfinished {i}"]
    # Two writers at once, then both gone.
    a, b = open_writer(f), open_writer(f)
    os.write(a, b"[crit] a\n")
    os.write(b, b"[crit] b\n")
    os.close(a)
    os.close(b)
    # Lines not yet read when SIGTERM comes are left in the FIFO: the signal waits for them.
    assert read_lines(p, 2) == ["[crit] a", "[crit] b"]
    p.send_signal(signal.SIGTERM)
    r = finish(p)
    assert r.rc == 0, r
    assert r.lines() == [], r


def test_filter_follow_count_printed_on_sigint(run, tmp_path):
    f = make_fifo(run, tmp_path)
    p = start("filter", "--follow", "--count", "--level", "all", f)
    for _ in range(3):
        fd = open_writer(f)
        os.write(fd, LOG)
        os.close(fd)
    # What pipekit has read when SIGINT comes it counts; what it has not is left in the FIFO.
    wait_until(lambda: unread_in_fifo(f) == 0, what="pipekit to read the FIFO empty")
    p.send_signal(signal.SIGINT)
    r = finish(p)
    assert r.rc == 0, r
    assert r.lines() == ["crit 3", "error 9", "warning 3", "info 6", "none 3"], r


def test_filter_dies_quietly_on_sigpipe(tmp_path):
    log = tmp_path / "big.log"
    log.write_bytes(b"ERROR: x\n" * 500000)
    p = subprocess.Popen(f"{PIPEKIT} filter {log} | head -n 2", shell=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=tool_env())
    out, err = p.communicate(timeout=30)
    assert out == b"ERROR: x\nERROR: x\n"
    assert err == b""


# ---- pump ----------------------------------------------------------------------------------

def test_pump_between_pipes_and_files_is_exact(run, tmp_path):
    data = random.Random(1).randbytes(5 << 20)
    r = run("pipekit", "pump", input=data)
    assert r.rc == 0 and r.out == data and r.err == "", r
    src = tmp_path / "src"
    src.write_bytes(data)
    dst = tmp_path / "dst"
    with open(src, "rb") as i, open(dst, "wb") as o:
        p = subprocess.run([PIPEKIT, "pump"], stdin=i, stdout=o, stderr=subprocess.PIPE, env=tool_env())
    assert p.returncode == 0, p.stderr
    assert dst.read_bytes() == data
    with open(src, "rb") as i, open(dst, "ab") as o:  # O_APPEND: splice refuses it, read/write it is
        p = subprocess.run([PIPEKIT, "pump"], stdin=i, stdout=o, stderr=subprocess.PIPE, env=tool_env())
    assert p.returncode == 0, p.stderr
    assert dst.read_bytes() == data + data
    r = run("pipekit", "pump", "--buffer", "64K", input=data)
    assert r.rc == 0 and r.out == data, r


def test_pump_rate_limit(run):
    t0 = time.monotonic()
    r = run("pipekit", "pump", "--rate-limit", "1M", input=b"r" * (512 << 10))
    took = time.monotonic() - t0
    assert r.rc == 0 and len(r.out) == 512 << 10, r
    assert took >= 0.45, took


def test_pump_progress_only_on_a_terminal(tmp_path):
    data = b"p" * (3 << 20)
    master, slave = pty.openpty()
    p = subprocess.Popen([PIPEKIT, "pump", "--rate-limit", "4M", "--size", str(len(data))], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=slave, env=tool_env())
    os.close(slave)
    out, _ = p.communicate(data, timeout=30)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.returncode == 0 and out == data
    assert b"/s" in seen and b"%" in seen and b"ETA" in seen, seen
    p = subprocess.run([PIPEKIT, "pump"], input=data, capture_output=True, env=tool_env())
    assert p.stderr == b""


def test_pump_sigpipe_ends_it_quietly(tmp_path):
    p = subprocess.Popen(f"head -c 100000000 /dev/zero | {PIPEKIT} pump | head -c 10 | wc -c", shell=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env())
    out, err = p.communicate(timeout=30)
    assert out.strip() == b"10"
    assert err == b""

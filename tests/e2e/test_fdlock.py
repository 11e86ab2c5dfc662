"""End-to-end tests of fdlock: the built binary locking files in tmp_path, with holders and
waiters run in the background.

Waits are on files the commands create ("ready", "release"), never on sleeps: a holder says
it holds the lock by creating a file, and lets go when the test creates another.  Timing
bounds are those of the issue (-w 0.5 gives up within 0.5-0.65 s), checked over several
runs, and generous elsewhere."""
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, Result, assert_no_sanitizer_report, run_tool, tool_env, tool_path, wait_until

FDLOCK = os.fspath(tool_path("fdlock"))


def fdlock(*args, **kw) -> Result:
    return run_tool("fdlock", *args, **kw)


def gone(pid: int) -> bool:
    """Whether pid has exited (a zombie counts: it is dead, its parent has not reaped it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class Background:
    """fdlock ARGS running in the background, in a session of its own."""

    def __init__(self, *args, env=None, preexec=None, stdin=subprocess.DEVNULL):
        self.args = [FDLOCK, *map(os.fspath, args)]

        def child_setup():
            # A shell runs a background job with SIGINT ignored, and a non-interactive sh
            # cannot trap a signal ignored on entry: start from the default, as from a terminal.
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if preexec:
                preexec()

        self.p = subprocess.Popen(self.args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=tool_env(env), start_new_session=True, preexec_fn=child_setup)
        self.result = None

    @property
    def pid(self) -> int:
        return self.p.pid

    def signal(self, sig) -> None:
        os.kill(self.p.pid, sig)

    def wait(self, timeout: float = 30, check_sanitizer: bool = True) -> Result:
        if self.result is None:
            out, err = self.p.communicate(timeout=timeout)
            self.result = Result(self.args, self.p.returncode, out, err.decode("utf-8", "surrogateescape"))
            if check_sanitizer:
                assert_no_sanitizer_report(self.result)
        return self.result

    def stop(self) -> None:
        """Ends it, and the command of a holder(): released, then SIGTERM (which fdlock passes
        on), then SIGKILL for both."""
        release, command = getattr(self, "release", None), getattr(self, "command_pid", None)
        if release:
            release.touch()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        if command:
            try:
                os.killpg(command, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.p.communicate(timeout=30)


@pytest.fixture
def bg():
    started = []

    def start(*args, **kw) -> Background:
        b = Background(*args, **kw)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


def holder(bg, tmp_path: Path, name: str, *options, lock: Path = None, keep=""):
    """Starts fdlock OPTIONS LOCK on a command that creates NAME.ready, then waits until
    NAME.release exists (or gets a signal); returns once it holds the lock.  keep: shell
    code run first in the command."""
    lock = lock or tmp_path / "lock"
    ready, release = tmp_path / f"{name}.ready", tmp_path / f"{name}.release"
    # The command lets go of fdlock's stdout and stderr, so that they end with fdlock even
    # when the command outlives it.
    script = f"exec >/dev/null 2>&1; {keep}echo $$ > '{ready}.tmp'; mv '{ready}.tmp' '{ready}'; " \
             f"while [ ! -e '{release}' ]; do sleep 0.01; done"
    b = bg(*options, lock, "sh", "-c", script)
    wait_until(ready.exists, timeout=20, what=f"{ready} appearing", step=0.005)
    b.release = release
    b.command_pid = int(ready.read_text())
    return b


# --- running a command ------------------------------------------------------------------

def test_runs_the_command_and_exits_with_its_status(tmp_path):
    lock = tmp_path / "lock"
    r = fdlock(lock, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.rc == 7, r
    assert r.out == b"out\n" and r.err == "err\n", r
    assert stat.S_IMODE(os.stat(lock).st_mode) == 0o644
    # The lock file stays: deleting it would race with the next fdlock.
    assert fdlock(lock, "true").rc == 0
    assert lock.exists()


def test_the_command_takes_its_arguments_as_they_are(tmp_path):
    r = fdlock(tmp_path / "lock", "printf", "%s|", "-n", "--verbose", "-w", "a b")
    assert r.rc == 0, r
    assert r.out == b"-n|--verbose|-w|a b|", r


def test_shell_command_with_c(tmp_path):
    r = fdlock(tmp_path / "lock", "-c", "echo \"$0\" one two", env={"SHELL": "/bin/sh"})
    assert r.rc == 0, r
    assert r.out == b"/bin/sh one two\n", r
    r = fdlock("-c", "exit 3", tmp_path / "lock", env={"SHELL": "/bin/sh"})
    assert r.rc == 3, r
    for bad in (["-c"], ["-c", "a", "b"]):
        r = fdlock(tmp_path / "lock", *bad)
        assert r.rc == 2, r
        assert r.err.startswith("fdlock: -c requires exactly one command argument"), r


def test_lock_file_is_created_0644_whatever_the_umask(tmp_path):
    lock = tmp_path / "lock"
    p = subprocess.run([FDLOCK, lock, "true"], env=tool_env(), preexec_fn=lambda: os.umask(0o077),
                       capture_output=True)
    assert p.returncode == 0, p
    assert stat.S_IMODE(os.stat(lock).st_mode) == 0o644


def test_signal_death_gives_128_plus_n(tmp_path):
    r = fdlock(tmp_path / "lock", "sh", "-c", "kill -TERM $$")
    assert r.rc == 128 + signal.SIGTERM, r
    r = fdlock(tmp_path / "lock", "sh", "-c", "kill -KILL $$")
    assert r.rc == 128 + signal.SIGKILL, r


def test_command_that_cannot_run(tmp_path):
    r = fdlock(tmp_path / "lock", "fdlock-no-such-command")
    assert r.rc == 127, r
    assert r.err == "fdlock: fdlock-no-such-command: failed to execute: No such file or directory\n", r
    r = fdlock(tmp_path / "lock", tmp_path)
    assert r.rc == 126, r
    assert "Permission denied" in r.err, r


def test_the_lock_descriptor_is_not_inherited_unless_keep_fd(tmp_path):
    lock = tmp_path / "lock"
    links = "for f in /proc/$$/fd/*; do readlink $f; done; echo \"fd=$FDLOCK_FD\""
    r = fdlock(lock, "sh", "-c", links)
    assert r.rc == 0, r
    assert os.fspath(lock) not in r.text and "fd=\n" in r.text, r
    r = fdlock("--keep-fd", lock, "sh", "-c", links + "; readlink /proc/$$/fd/$FDLOCK_FD")
    assert r.rc == 0, r
    assert r.lines()[-1] == os.fspath(lock), r


def test_no_fork_execs_the_command_with_the_lock(tmp_path):
    lock = tmp_path / "lock"
    r = fdlock("-F", lock, "sh", "-c", f"echo $$; '{FDLOCK}' -n '{lock}' true; echo held=$?")
    assert r.rc == 0, r
    assert r.lines()[1] == "held=1", r
    r = fdlock("-F", "--posix", lock, "sh", "-c", f"'{FDLOCK}' -n '{lock}' true; echo held=$?")
    assert r.lines() == ["held=1"], r
    assert fdlock("-n", lock, "true").rc == 0


# --- trouble ------------------------------------------------------------------------------

def test_no_create_refuses_a_missing_file(tmp_path):
    lock = tmp_path / "missing"
    r = fdlock("--no-create", lock, "true")
    assert r.rc == 2, r
    assert r.err == f"fdlock: {lock}: cannot open the lock file: No such file or directory\n", r
    assert not lock.exists()


def test_missing_directory(tmp_path):
    r = fdlock(tmp_path / "no" / "lock", "true")
    assert r.rc == 2, r
    assert r.err.startswith(f"fdlock: {tmp_path}/no/lock: cannot create the lock file: No such file"), r


def test_directory_needs_a_shared_lock(tmp_path):
    r = fdlock(tmp_path, "true")
    assert r.rc == 2, r
    assert r.err.startswith(f"fdlock: {tmp_path}: is a directory"), r
    assert "-s" in r.err, r
    assert fdlock("-s", tmp_path, "true").rc == 0


def test_unwritable_file_for_an_exclusive_lock(tree):
    tree.file("lock", 0o444)
    # Run from inside the tree: pytest's tmp_path ancestors are closed to other users.
    r = fdlock("lock", "true", cwd=tree.root, user=65534)
    assert r.rc == 2, r
    assert r.err == "fdlock: lock: cannot open for writing, which an exclusive lock needs: Permission denied\n", r
    assert fdlock("-s", "lock", "true", cwd=tree.root, user=65534).rc == 0


def test_dangling_symlink_is_not_followed_to_create(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "target")
    r = fdlock(tmp_path / "link", "true")
    assert r.rc == 2, r
    assert "dangling symbolic link" in r.err, r
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize("args,subject", [
    (["--range", "x"], "--range"), (["--range", "5"], "--range"), (["--range", "-1:2"], "--range"),
    (["--range", "9223372036854775807:2"], "--range"), (["-w", "abc"], "--timeout"), (["-w", "-1"], "--timeout"),
    (["--deadline", "0"], "--deadline"), (["--grace", "x"], "--grace"), (["-E", "256"], "--conflict-exit-code"),
])
def test_bad_values(tmp_path, args, subject):
    r = fdlock(*args, tmp_path / "lock", "true")
    assert r.rc == 2, r
    assert r.err.startswith(f"fdlock: {subject}: "), r
    assert r.out == b"", r


@pytest.mark.parametrize("args,message", [
    ([], "fdlock: not enough arguments"),
    (["", "true"], "fdlock: FILE: the name given is empty (''): name the lock file, or give a descriptor number\n"),
    ([""], "fdlock: FILE: the name given is empty (''): name the lock file, or give a descriptor number\n"),
    (["--holder", ""], "fdlock: FILE: the name given is empty"),
    (["LOCK"], "fdlock: LOCK: not a descriptor number"),
    (["-u", "LOCK", "true"], "fdlock: --unlock: only with a descriptor"),
    (["--deadline", "1", "9"], "fdlock: --deadline: needs FILE and a COMMAND"),
    (["--keep-fd", "9"], "fdlock: --keep-fd: needs FILE and a COMMAND"),
    (["--holder"], "fdlock: --holder: takes one FILE"),
    (["--list", "LOCK"], "fdlock: --list: takes no FILE"),
    (["--format", "json", "LOCK", "true"], "fdlock: --format: only with --holder or --list"),
    (["-F", "--deadline", "1", "LOCK", "true"], "fdlock: --no-fork: cannot be used with --deadline"),
])
def test_usage_errors(args, message):
    r = fdlock(*args)
    assert r.rc == 2, r
    assert r.err.startswith(message), r


@pytest.mark.parametrize("mode", [[], ["-s"]], ids=["exclusive", "shared"])
def test_fifo_or_socket_as_lock_file_is_named(tmp_path, mode):
    """Not ENXIO's "No such device or address": what the file is, and nothing run."""
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        for name, what in (("fifo", "is a FIFO (named pipe), not a file to lock: give a regular file"),
                           ("sock", "is a socket, not a file to lock: give a regular file")):
            r = fdlock(*mode, tmp_path / name, "touch", tmp_path / f"ran-{name}")
            assert (r.rc, r.err) == (2, f"fdlock: {tmp_path / name}: {what}\n"), r
            assert not (tmp_path / f"ran-{name}").exists()
    finally:
        sock.close()


def test_help_is_shaped_like_flocks():
    r = fdlock("--help")
    lines = r.lines()
    assert lines[0] == "Usage: fdlock [OPTIONS] FILE COMMAND [ARGS...]", r
    assert "Options:" in lines, r
    assert " -s, --shared                 Get a shared lock" in lines, r
    assert " -w, --timeout <secs>         Wait for a limited amount of time" in lines, r
    assert lines[-1] == "For more details see fdlock(1).", r


# --- waiting ------------------------------------------------------------------------------

def start_up_time() -> float:
    """What running the binary costs before it does anything: the best of three
    "fdlock --version" (about 5 ms for the static build, 0.3 s for the sanitizer build)."""
    times = []
    for _ in range(3):
        t0 = time.monotonic()
        assert fdlock("--version").rc == 0
        times.append(time.monotonic() - t0)
    return min(times)


@pytest.mark.serial
def test_nonblock_against_a_held_lock_returns_at_once(bg, tmp_path):
    holder(bg, tmp_path, "h")
    lock = tmp_path / "lock"
    start_up = start_up_time()
    for args, want in ((["-n"], 1), (["-n", "-E", "42"], 42), (["-w", "0"], 1), (["-n", "-w", "5"], 1)):
        took = []
        for _ in range(3):
            t0 = time.monotonic()
            r = fdlock(*args, lock, "echo", "ran")
            took.append(time.monotonic() - t0)
            assert r.rc == want, r
            assert r.out == b"" and r.err == "", r
        assert min(took) < start_up + 0.2, f"{args} took {took}, start-up {start_up:.3f} s"


@pytest.mark.serial
def test_timeout_gives_up_within_the_bound(bg, tmp_path):
    holder(bg, tmp_path, "h")
    lock = tmp_path / "lock"
    start_up = start_up_time()
    walls = []
    for _ in range(3):
        t0 = time.monotonic()
        r = fdlock("-w", "0.5", "--verbose", lock, "echo", "ran")
        walls.append(time.monotonic() - t0)
        assert r.rc == 1 and r.out == b"", r
        waited = float(r.err_lines()[-1].split("gave up after waiting ")[1].split(" s")[0])
        assert 0.5 <= waited <= 0.65, r
    assert min(walls) >= 0.5, walls
    # The whole invocation: the best run is the one load disturbed least.  A sanitizer
    # build's own start-up (a few tenths of a second) is not fdlock's waiting.
    assert min(walls) <= 0.65 + max(0.0, start_up - 0.05), (walls, start_up)
    r = fdlock("-w", "0.5", "-E", "9", lock, "true")
    assert r.rc == 9, r


def waiting_in_kernel(path: Path) -> bool:
    """Whether /proc/locks lists a request waiting for a lock on path ("N: -> OFDLCK ...")."""
    st = os.stat(path)
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with open("/proc/locks") as f:
        return any(" -> " in line and key in line.split() for line in f)


def test_a_waiter_gets_the_lock_once_it_is_released(bg, tmp_path):
    h = holder(bg, tmp_path, "h")
    waiter = bg("--verbose", tmp_path / "lock", "sh", "-c", f"echo got > '{tmp_path}/got'")
    # The waiter is queued in the kernel and does not run.  Only then is the holder released:
    # a holder that is exiting has left its descriptor table while its lock is still listed,
    # and cannot be named.
    wait_until(lambda: waiting_in_kernel(tmp_path / "lock") and waiter.p.poll() is None, what="waiter queued")
    assert fdlock("-n", tmp_path / "lock", "true").rc == 1
    h.release.touch()
    r = waiter.wait()
    assert r.rc == 0, r
    assert (tmp_path / "got").read_text() == "got\n"
    assert h.wait().rc == 0
    err = r.err_lines()
    assert err[0].startswith(f"fdlock: {tmp_path}/lock: ") and "an exclusive OFD lock on the whole file" in err[0], r
    assert "waiting for" in err[0] and f"held by pid {h.pid} (fdlock)" in err[0], r
    assert "after waiting" in err[1], r


def test_verbose_names_the_holder_of_a_conflict(bg, tmp_path):
    h = holder(bg, tmp_path, "h")
    r = fdlock("-n", "--verbose", tmp_path / "lock", "true")
    assert r.rc == 1, r
    assert r.err == (f"fdlock: {tmp_path}/lock: cannot get an exclusive OFD lock on the whole file "
                     f"(held by pid {h.pid} (fdlock)): not waiting\n"), r
    hp = holder(bg, tmp_path, "p", "--posix", lock=tmp_path / "plock")
    r = fdlock("-n", "--verbose", "--posix", tmp_path / "plock", "true")
    assert f"(held by pid {hp.pid} (fdlock))" in r.err, r


def test_counter_incremented_under_the_lock_is_exact(tmp_path):
    """8 processes x 10 increments of a counter file, each a read-modify-write by its own
    shell under fdlock: no increment may be lost.  (scripts/bench/fdlock.sh does 8 x 500.)"""
    counter, lock = tmp_path / "counter", tmp_path / "lock"
    counter.write_text("0\n")
    loop = f"for i in $(seq 10); do '{FDLOCK}' '{lock}' sh -c 'read n < {counter}; echo $((n + 1)) > {counter}' " \
           f"|| exit 1; done"
    procs = [subprocess.Popen(["sh", "-c", loop], env=tool_env(), stderr=subprocess.PIPE) for _ in range(8)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert b"Sanitizer" not in err and b"runtime error" not in err, err
    assert counter.read_text() == "80\n"


def test_shared_locks_overlap_while_an_exclusive_one_waits(bg, tmp_path):
    lock = tmp_path / "lock"
    shared = [holder(bg, tmp_path, f"s{i}", "-s") for i in range(3)]
    # All three hold the lock at once: each made its ready file and none is released.
    assert all((tmp_path / f"s{i}.ready").exists() for i in range(3))
    assert fdlock("-n", "-s", lock, "true").rc == 0
    assert fdlock("-n", "-x", lock, "true").rc == 1
    got = tmp_path / "x.got"
    x = bg("-x", lock, "sh", "-c", f"echo got > '{got}'")
    time.sleep(0.3)
    assert not got.exists(), "the exclusive lock was granted while shared locks were held"
    for s in shared[:2]:
        s.release.touch()
        assert s.wait().rc == 0
    assert not got.exists() and x.p.poll() is None
    shared[2].release.touch()
    assert x.wait().rc == 0
    assert got.exists()


def test_ranges_lock_only_their_bytes(bg, tmp_path):
    lock = tmp_path / "lock"
    holder(bg, tmp_path, "h", "--range", "0:100")
    assert fdlock("-n", "--range", "100:0", lock, "true").rc == 0
    assert fdlock("-n", "--range", "50:1", lock, "true").rc == 1
    assert fdlock("-n", "--range", "1K:1K", lock, "true").rc == 0
    assert fdlock("-n", lock, "true").rc == 1


def test_posix_and_ofd_locks_conflict(bg, tmp_path):
    lock = tmp_path / "lock"
    h = holder(bg, tmp_path, "h", "--posix")
    assert fdlock("-n", lock, "true").rc == 1
    assert fdlock("-n", "--posix", lock, "true").rc == 1
    h.release.touch()
    assert h.wait().rc == 0
    assert fdlock("-n", "--posix", lock, "true").rc == 0


# --- holders dying ------------------------------------------------------------------------

def test_a_holder_killed_with_sigkill_releases_the_lock(bg, tmp_path):
    lock = tmp_path / "lock"
    h = holder(bg, tmp_path, "h")
    assert fdlock("-n", lock, "true").rc == 1
    h.signal(signal.SIGKILL)
    h.wait(check_sanitizer=False)
    assert fdlock("-w", "5", lock, "true").rc == 0
    os.kill(h.command_pid, signal.SIGKILL)  # the orphaned command, which never had the lock


def test_with_keep_fd_the_command_keeps_an_ofd_lock_after_fdlock_dies(bg, tmp_path):
    lock = tmp_path / "lock"
    h = holder(bg, tmp_path, "h", "--keep-fd")
    h.signal(signal.SIGKILL)
    h.wait(check_sanitizer=False)
    assert fdlock("-n", lock, "true").rc == 1
    os.kill(h.command_pid, signal.SIGKILL)
    wait_until(lambda: gone(h.command_pid), what="command gone")
    assert fdlock("-w", "5", lock, "true").rc == 0


# --- signals and the deadline ---------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_are_passed_to_the_command(bg, tmp_path, sig, request):
    # fdlock leaves a signal ignored on entry ignored, as programs do (nohup relies on it): when
    # the tests themselves run with sig ignored (under nohup, or as a background job), fdlock
    # gets the default disposition here.
    if signal.getsignal(sig) == signal.SIG_IGN:
        signal.signal(sig, signal.SIG_DFL)
        request.addfinalizer(lambda: signal.signal(sig, signal.SIG_IGN))
    h = holder(bg, tmp_path, "h", keep=f"trap 'echo {sig.name} > {tmp_path}/got; exit 7' {sig.name[3:]}; ")
    h.signal(sig)
    r = h.wait()
    assert r.rc == 7, r
    assert (tmp_path / "got").read_text() == f"{sig.name}\n"


# The deadline tests bound wall time (and the grandchild must have set its trap within the
# 0.4 s deadline): under the parallel tests' load an ASan fdlock took 3.8 s.  They run alone.
@pytest.mark.serial
def test_deadline_ends_the_command_with_124(tmp_path):
    t0 = time.monotonic()
    r = fdlock("--deadline", "0.3", tmp_path / "lock", "sleep", "60")
    took = time.monotonic() - t0
    assert r.rc == 124, r
    assert r.err == "", r
    assert 0.3 <= took < 3, took
    assert fdlock("--deadline", "5", tmp_path / "lock", "sh", "-c", "exit 4").rc == 4


@pytest.mark.serial
def test_deadline_kills_the_whole_process_group_grandchildren_included(tmp_path):
    # The grandchild ignores SIGTERM: only the SIGKILL after the grace period ends it.
    gc = tmp_path / "gc"
    script = f"sh -c 'trap \"\" TERM; echo $$ > {gc}; exec sleep 60' & sleep 60; wait"
    t0 = time.monotonic()
    r = fdlock("--deadline", "0.4", "--grace", "0.4", "--verbose", tmp_path / "lock", "sh", "-c", script)
    took = time.monotonic() - t0
    assert r.rc == 124, r
    assert 0.8 <= took < 5, took
    assert "SIGTERM to process group" in r.err and "ended by SIGKILL" in r.err, r
    pid = int(gc.read_text())
    wait_until(lambda: gone(pid), timeout=5, what=f"grandchild {pid} gone")


# --- the descriptor form --------------------------------------------------------------------

def test_fd_form_from_bash(tmp_path):
    lock = tmp_path / "lock"
    script = f"""
        exec 9>'{lock}'
        fdlock 9 || exit 9
        fdlock -n '{lock}' true; echo "held by the shell: $?"
        fdlock -u 9
        fdlock -n '{lock}' true; echo "after -u: $?"
        exec 8<'{lock}'
        fdlock -s 8; fdlock -n -s '{lock}' true; echo "shared: $?"
        fdlock -n 9; echo "exclusive over shared: $?"
        fdlock 8; echo "exclusive on a read-only descriptor: $?"
        fdlock --posix 9; echo "posix: $?"
        fdlock 7; echo "closed: $?"
    """
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                       env=tool_env({"PATH": f"{BUILD}/tools/fdlock:{os.environ['PATH']}"}))
    assert p.stdout.splitlines() == [
        "held by the shell: 1", "after -u: 0", "shared: 0", "exclusive over shared: 1",
        "exclusive on a read-only descriptor: 2", "posix: 2", "closed: 2"], p
    err = p.stderr.splitlines()
    assert err[0] == "fdlock: 8: an exclusive lock needs the descriptor open for writing (exec FD>FILE or FD<>FILE)", p
    assert err[1].startswith("fdlock: 9: --posix locks belong to the process that takes them"), p
    assert "fdlock: 7: Bad file descriptor" in err, p


# --- --holder and --list --------------------------------------------------------------------

def test_holder_prints_who_holds_the_lock(bg, tmp_path):
    lock = tmp_path / "lock"
    lock.write_bytes(b"")
    r = fdlock("--holder", lock)
    assert r.rc == 0 and r.out == b"", r
    h = holder(bg, tmp_path, "h", "--range", "10:5")
    r = fdlock("--holder", lock)
    assert r.rc == 1, r
    assert r.lines() == [f"{h.pid} fdlock OFDLCK WRITE 10 14 {lock}"], r
    r = fdlock("--holder", "--format", "json", lock)
    obj, = r.json_lines()
    assert obj["pid"] == h.pid and obj["command"] == "fdlock" and obj["type"] == "OFDLCK", r
    assert (obj["mode"], obj["start"], obj["end"], obj["waiting"], obj["path"]) == ("WRITE", 10, 14, False,
                                                                                    os.fspath(lock)), r
    assert isinstance(obj["fd"], int) and obj["inode"] == os.stat(lock).st_ino, r
    r = fdlock("--holder", "--range", "15:0", lock)
    assert r.rc == 0 and r.out == b"", r


def test_holder_names_every_process_sharing_an_ofd_lock(bg, tmp_path):
    lock = tmp_path / "lock"
    # With --keep-fd the command shares fdlock's open file, and so the lock.
    h = holder(bg, tmp_path, "h", "-s", "--keep-fd")
    p = holder(bg, tmp_path, "p", "-s", "--posix")
    r = fdlock("--holder", lock)
    # The command's own "sleep 0.01" children inherit the descriptor too, and hold the lock
    # while they live (still called "sh" between fork and exec): rightly listed, but whether
    # one is running is chance.
    known = {str(h.pid), str(h.command_pid), str(p.pid)}
    rows = [line.split()[:4] for line in r.lines()]
    assert all(row[0] in known or row[1:] in (["sleep", "OFDLCK", "READ"], ["sh", "OFDLCK", "READ"])
               for row in rows), r
    want = sorted([[str(h.pid), "fdlock", "OFDLCK", "READ"], [str(h.command_pid), "sh", "OFDLCK", "READ"],
                   [str(p.pid), "fdlock", "POSIX", "READ"]])
    assert sorted(row for row in rows if row[0] in known) == want, r


def test_holder_of_a_missing_file(tmp_path):
    r = fdlock("--holder", tmp_path / "missing")
    assert r.rc == 2, r
    assert r.err == f"fdlock: {tmp_path}/missing: No such file or directory\n", r


def test_list_names_the_file_of_waiting_requests(bg, tmp_path):
    """A waiting request is in no descriptor's fdinfo: its path is found from its inode, as
    lslocks finds it for a POSIX one.  The pid of a POSIX request is in /proc/locks; an OFD
    request belongs to no process there, and stays "-"."""
    h = holder(bg, tmp_path, "h")
    hp = holder(bg, tmp_path, "p", "--posix", lock=tmp_path / "plock")
    waiter = bg(tmp_path / "lock", "true")
    pwaiter = bg("--posix", tmp_path / "plock", "true")
    wait_until(lambda: waiting_in_kernel(tmp_path / "lock") and waiting_in_kernel(tmp_path / "plock"),
               what="both waiters queued")
    r = fdlock("--list")
    assert r.rc == 0, r
    lines = r.lines()
    assert f"{h.pid} fdlock OFDLCK WRITE 0 EOF {tmp_path}/lock" in lines, r
    assert f"- - OFDLCK WRITE* 0 EOF {tmp_path}/lock" in lines, r
    assert f"{hp.pid} fdlock POSIX WRITE 0 EOF {tmp_path}/plock" in lines, r
    assert f"{pwaiter.pid} fdlock POSIX WRITE* 0 EOF {tmp_path}/plock" in lines, r
    waiting = [o for o in fdlock("--list", "--format", "json").json_lines() if o["waiting"]]
    assert {(o["pid"], o["fd"], o["path"]) for o in waiting} >= {(None, None, f"{tmp_path}/lock"),
                                                                 (pwaiter.pid, None, f"{tmp_path}/plock")}, waiting
    if shutil.which("lslocks"):
        ls = subprocess.run(["lslocks", "--raw", "--noheadings", "-o", "PID,MODE,PATH"], capture_output=True,
                            text=True)
        assert f"{pwaiter.pid} WRITE* {tmp_path}/plock" in ls.stdout.splitlines(), ls.stdout
    for b in (h, hp):
        b.release.touch()
    assert waiter.wait().rc == 0 and pwaiter.wait().rc == 0


def test_list_shows_the_locks_of_the_system(bg, tmp_path):
    h = holder(bg, tmp_path, "h")
    r = fdlock("--list")
    assert r.rc == 0, r
    assert f"{h.pid} fdlock OFDLCK WRITE 0 EOF {tmp_path}/lock" in r.lines(), r
    r = fdlock("--list", "--format", "json")
    assert r.rc == 0, r
    assert any(o["pid"] == h.pid and o["path"] == f"{tmp_path}/lock" for o in r.json_lines()), r

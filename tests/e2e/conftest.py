"""Shared helpers for syskit's end-to-end tests.

The binaries come from $SYSKIT_BUILD (default: build/ at the top of the repository), at
$SYSKIT_BUILD/tools/<tool>/<tool>.  The same tests run against the normal build and the
ASan/UBSan build (build-san), where a sanitizer report makes the tool exit 86: every run
goes through run_tool(), which fails the test on such a report whatever the test asserts.

Fixtures:
  run       run("TOOL", *args, cwd=..., input=..., user=...) -> Result
  tree      a Tree rooted at a fresh directory in tmp_path, to build files in
  tmpfs     a small tmpfs mounted on tree/mnt (another file system, for -x)

Helpers: wait_until (polling for a condition), handles_signal (before a test stops a tool
by a signal), unread_bytes (what a reader has not taken yet), can_run_as_nobody, make_deep.
"""
import contextlib
import fcntl
import json
import os
import pty
import shutil
import stat
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SYSKIT_BUILD") or REPO / "build").resolve()

SANITIZER_EXIT = 86
SANITIZER_MARKERS = ("runtime error", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                     "ThreadSanitizer")

# Unprivileged runs (run(..., user=65534)) go through setpriv from util-linux.
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"


def tool_path(name: str) -> Path:
    return BUILD / "tools" / name / name


def generated_unit(tool: str, name: str) -> Path:
    """The unit file meson generated for the build under test, with its bindir filled in."""
    return BUILD / "tools" / tool / name


def unit_settings(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values in order]}}; every other line must be blank or a
    comment, as systemd reads it."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"not a key=value line in a section: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def available_tools() -> list[str]:
    """Every tool binary the build holds: $SYSKIT_BUILD/tools/<tool>/<tool>, executable."""
    tools_dir = BUILD / "tools"
    if not tools_dir.is_dir():
        return []
    return sorted(d.name for d in tools_dir.iterdir()
                  if d.is_dir() and (d / d.name).is_file() and os.access(d / d.name, os.X_OK))


@dataclass(repr=False)
class Result:
    args: list
    rc: int
    out: bytes  # stdout, as bytes: file names are bytes
    err: str    # stderr, decoded (undecodable bytes kept as surrogates)

    @property
    def text(self) -> str:
        """stdout decoded losslessly (invalid UTF-8 as surrogate escapes)."""
        return self.out.decode("utf-8", "surrogateescape")

    def lines(self) -> list[str]:
        return self.text.splitlines()

    def json_lines(self) -> list[dict]:
        """stdout as JSON lines: one object per line, every line an object."""
        objs = []
        for line in self.out.split(b"\n"):
            if not line:
                continue
            obj = json.loads(line)
            assert isinstance(obj, dict), f"JSON line is not an object: {line!r}"
            objs.append(obj)
        assert self.out == b"" or self.out.endswith(b"\n"), "JSON output does not end with a newline"
        return objs

    def null_records(self) -> list[bytes]:
        """stdout as NUL-terminated records (-0): the last byte must be a NUL."""
        if not self.out:
            return []
        assert self.out.endswith(b"\0"), f"-0 output does not end with a NUL: {self.out[-40:]!r}"
        return self.out[:-1].split(b"\0")

    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def __str__(self) -> str:
        return (f"$ {' '.join(map(str, self.args))}\nexit {self.rc}\n--- stdout\n"
                f"{self.out[:4000]!r}\n--- stderr\n{self.err[:4000]}")

    __repr__ = __str__


def tool_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    # English strerror() texts; the tests match them.
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    # A sanitizer report must never pass for a finding (exit 1) or trouble (exit 2).
    env.setdefault("ASAN_OPTIONS", f"detect_leaks=1:exitcode={SANITIZER_EXIT}:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", f"halt_on_error=1:exitcode={SANITIZER_EXIT}:print_stacktrace=1")
    env.pop("NO_COLOR", None)
    if extra:
        env.update(extra)
    return env


def run_tool(tool: str, *args, cwd=None, input: bytes | None = None, env: dict | None = None,
             user: int | None = None, timeout: float = 60, check_sanitizer: bool = True,
             stdin_open: bool = False) -> Result:
    """Runs $SYSKIT_BUILD/tools/TOOL/TOOL with args (str, bytes or Path), stdin from input
    (or /dev/null), stdout captured as bytes.  user: run as that uid (and gid, no
    supplementary groups) through setpriv.  stdin_open: input comes through a pipe that stays
    open until the tool exits, as a terminal would that nobody types in any more.  Fails the
    test on a sanitizer report."""
    exe = tool_path(tool)
    assert exe.is_file(), f"{exe} not built (SYSKIT_BUILD={BUILD})"
    argv = [os.fspath(exe)] + [a if isinstance(a, bytes) else os.fspath(a) if isinstance(a, Path) else str(a)
                               for a in args]
    if user is not None:
        argv = [SETPRIV, f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + argv
    if stdin_open:
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, input or b"")
            p = subprocess.run(argv, cwd=cwd, stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=tool_env(env), timeout=timeout)
        finally:
            os.close(read_end)
            os.close(write_end)
    else:
        p = subprocess.run(argv, cwd=cwd, input=input if input is not None else b"",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env(env), timeout=timeout)
    r = Result(argv, p.returncode, p.stdout, p.stderr.decode("utf-8", "surrogateescape"))
    if check_sanitizer:
        assert_no_sanitizer_report(r)
    return r


def on_terminal(argv: list, streams=("stdout", "stderr"), env: dict | None = None, cwd=None):
    """Runs argv with the named streams on one pseudo-terminal (with no \\n -> \\r\\n
    translation) and the others on pipes: (exit status, what the terminal received, the piped
    stdout, the piped stderr), for what a tool does only on a terminal (--color=auto, escaping
    names, a progress line)."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=slave if "stdout" in streams else subprocess.PIPE,
                         stderr=slave if "stderr" in streams else subprocess.PIPE, env=tool_env(env), cwd=cwd)
    os.close(slave)
    got = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every copy of the slave side is closed
            break
        if not data:
            break
        got += data
    os.close(master)
    out, err = p.communicate(timeout=60)
    return p.returncode, got, out, err


def run_on_terminal(tool: str, *args, env: dict | None = None, cwd=None) -> bytes:
    """What a terminal shows of $SYSKIT_BUILD/tools/TOOL/TOOL ARGS run with stdout and stderr on it."""
    return on_terminal([os.fspath(tool_path(tool)), *map(str, args)], env=env, cwd=cwd)[1]


def assert_no_sanitizer_report(r: Result) -> None:
    for marker in SANITIZER_MARKERS:
        assert marker not in r.err, f"sanitizer report ({marker}):\n{r}"
    assert r.rc != SANITIZER_EXIT, f"exit {SANITIZER_EXIT} (a sanitizer report):\n{r}"
    assert r.rc >= 0, f"killed by signal {-r.rc}:\n{r}"


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: measures CPU time, bounds wall time tightly or changes a limit of "
                            "the whole system; scripts/test runs these alone, after the others have run in parallel")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    # The mock USB drives of test_usbtidy (the fixture bed) are mounted as /dev/sdb1 and so on,
    # and the mount table is the whole machine's: a watcher in one test would tidy another
    # test's drive.  Those tests share one xdist group, which runs them one after the other
    # (scripts/test runs pytest with --dist loadgroup).
    for item in items:
        if "bed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("usb-drives"))


@pytest.fixture
def run():
    """run("TOOL", *args, **kw) -> Result; see run_tool."""
    return run_tool


class Tree:
    """A directory to build test trees in, with exact modes (the umask does not apply)."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(mode=0o755, exist_ok=True)
        os.chmod(root, 0o755)

    def path(self, rel) -> Path:
        return self.root / rel if isinstance(rel, str) else Path(os.fsdecode(os.path.join(os.fsencode(self.root), rel)))

    def _parents(self, p: Path) -> None:
        """Creates the missing directories above p with mode 0755, whatever the umask."""
        missing = []
        d = p.parent
        while not os.path.lexists(d):
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            d.mkdir()
            os.chmod(d, 0o755)

    def file(self, rel, mode: int = 0o644, data: bytes = b"") -> Path:
        p = self.path(rel)
        self._parents(p)
        p.write_bytes(data)
        os.chmod(p, mode)
        return p

    def dir(self, rel, mode: int = 0o755) -> Path:
        p = self.path(rel)
        self._parents(p)
        p.mkdir(exist_ok=True)
        os.chmod(p, mode)
        return p

    def symlink(self, rel, target: str) -> Path:
        p = self.path(rel)
        self._parents(p)
        os.symlink(target, p)
        return p

    def mode(self, rel) -> int:
        """Permission bits (07777) of rel, not following a symlink."""
        return stat.S_IMODE(os.lstat(self.path(rel)).st_mode)

    def modes(self) -> dict:
        """Every entry below the root (and the root, as '.') with its lstat mode."""
        out = {".": os.lstat(self.root).st_mode}
        for dp, dns, fns in os.walk(self.root):
            for n in dns + fns:
                p = os.path.join(dp, n)
                out[os.path.relpath(p, self.root)] = os.lstat(p).st_mode
        return out


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree(tmp_path / "tree")


@contextlib.contextmanager
def mounted_tmpfs(mnt: Path, size: str):
    """A tmpfs of size (mount(8)'s "4m") on the directory mnt for the block: another file
    system for -x, or a small one to fill.  Skips the test where mounting is not allowed."""
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "syskit-e2e", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


@contextlib.contextmanager
def bind_mounted(source: Path, target: Path):
    """source bind-mounted on the directory target for the block (a directory loop when source
    is an ancestor of target), unmounted after it; skips the test where mounting is refused."""
    p = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot bind mount here: {p.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


@pytest.fixture
def tmpfs(tree):
    """A 4 MiB tmpfs mounted on tree/mnt for the test (skips where mounting is not allowed)."""
    with mounted_tmpfs(tree.dir("mnt", 0o755), "4m") as mnt:
        yield mnt


def wait_until(pred, timeout: float = 10, what: str | None = None, step: float = 0.02) -> bool:
    """Calls pred every step seconds until it returns true, for at most timeout seconds, and
    returns whether it did; given what, fails the test instead ("WHAT not met within N s")."""
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= end:
            assert what is None, f"{what} not met within {timeout} s"
            return False
        time.sleep(step)
    return True


def unread_bytes(fd: int) -> int:
    """How many bytes wait to be read on fd (FIONREAD): a socket's received bytes, or a pipe's
    or FIFO's, from either end.  What a test waits on to know a reader has taken its input."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]


def handles_signal(pid: int, sig: int) -> bool:
    """Whether pid catches or blocks sig (SigCgt, SigBlk in /proc/PID/status).  Until it does,
    the signal takes its default action, which for SIGTERM or SIGINT ends a tool that has not
    set up its handlers yet: a test that stops a tool by a signal waits for this first."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    masks = dict(line.split(":\t", 1) for line in status.splitlines() if line.startswith(("SigCgt", "SigBlk")))
    bit = 1 << (sig - 1)
    return any(int(masks.get(k, "0"), 16) & bit for k in ("SigCgt", "SigBlk"))


NOBODY = 65534


def can_run_as_nobody(path) -> bool:
    """Whether uid 65534 can run the binary at path through setpriv (the build may sit in a
    directory it cannot enter)."""
    if shutil.which("setpriv") is None:
        return False
    p = subprocess.run([SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", "test", "-x",
                        str(path)], capture_output=True)
    return p.returncode == 0


def make_deep(root: Path, levels: int, name: str = "d" * 40) -> tuple[int, bytes]:
    """Creates root/name/name/... levels deep through descriptors (the path is longer than
    PATH_MAX); returns an open descriptor of the deepest directory and its path."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir(name, 0o755, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    return fd, os.fsencode(root) + ("/" + name).encode() * levels

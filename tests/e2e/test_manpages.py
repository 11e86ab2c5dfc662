"""Every man page names every system call its tool's typical runs make.

Each tool's typical invocations (those of the EXAMPLES in its page, on small trees and servers
made here) run under `strace -f -ff`, and every call they make must be named in the SYSTEM CALLS
section of the page, by its name or one the page may use for it (ALIASES: `posix_fadvise` for
strace's `fadvise64`).  Left aside: start-up, the calls of libc's allocator and thread internals
(IGNORED, IGNORED_LINES), and plain read and write.

strace runs with -ff, a file per process, rather than -c's one table, so that what the tool's
children do once they have become another program (the `true` that fdlock runs, the shell of
inwatch --exec) is not counted, and so that the dynamic loader's calls before the tool's own code
runs (everything up to the rseq() registration of the main thread, which ends glibc's start-up)
are left out by position rather than by name: the tool's own openat or pread64 still counts.

usbtidy and btprox need hardware.  btprox runs against BlueZ mocked on a private D-Bus with
python3-dbusmock, as test_btprox does; usbtidy organizes a directory, lists this machine's drives
and watches for one that does not come (run_usbtidy says why not with umockdev).
"""
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, REPO, handles_signal, tool_env, tool_path, wait_until
from test_inwatch import in_event_loop, watch_count

STRACE = shutil.which("strace")


def sanitized_build() -> bool:
    """Whether the build under test has the sanitizers, whose run-time makes calls of its own."""
    options = BUILD / "meson-info" / "intro-buildoptions.json"
    if not options.exists():
        return False
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", []) for o in json.loads(options.read_text()))


# Calls a run makes that the page need not explain: start-up and exit, the allocator, libc's
# locks and its thread set-up, and plain read and write.
IGNORED = {
    "brk", "mmap", "munmap", "mprotect", "madvise", "mremap",      # memory: malloc, thread stacks
    "futex",                                                          # libc's mutexes, condvars, joins
    "set_robust_list", "rseq", "set_tid_address", "prlimit64",       # start-up of the process and each thread
    "getrandom",                                                      # malloc's tcache seed (glibc 2.36)
    "exit", "exit_group", "restart_syscall",                          # exits; the kernel resuming a call
    "read", "write",                                                  # plain reads and writes
}

# Lines of a trace that are libc's own doing, whatever the tool: pthread_create installing the
# handler of its cancellation signal and blocking every signal while it clones, and a thread
# blocking them as it exits; getpwuid()/getgrgid() asking nscd, which is not running, over a Unix
# socket (NSCD: the socket() before such a connect() is left out too).
NSCD = re.compile(r'connect\(\d+, \{sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"\}')
IGNORED_LINES = re.compile(r"rt_sigaction\(SIGRT_1, |rt_sigprocmask\(SIG_UNBLOCK, \[RTMIN RT_1\]"
                           r"|rt_sigprocmask\(SIG_BLOCK, ~\[\]|rt_sigprocmask\(SIG_SETMASK, \[\], NULL"
                           r"|rt_sigprocmask\(SIG_BLOCK, ~\[RT_1\], NULL|" + NSCD.pattern)

# Files libc reads for itself (the time zone for localtime(), the user and group databases for
# getpwuid() and getgrgid()): seeks and stats on their descriptors are libc's, not the tool's.
LIBC_FILES = re.compile(r'openat\(AT_FDCWD, "(/etc/localtime|/usr/share/zoneinfo/[^"]*|/etc/nsswitch\.conf'
                        r'|/etc/passwd|/etc/group)", [^)]*\) = (\d+)$')
LIBC_FD_CALLS = re.compile(r"(lseek|newfstatat|fstat)\((\d+), ")

# strace's name of a call -> the names a page may use for it instead (glibc's wrappers).
ALIASES = {
    "newfstatat": ("fstatat", "stat", "lstat", "fstat"),
    "fstat": ("stat",),
    "fadvise64": ("posix_fadvise",),
    "pread64": ("pread",),
    "pwrite64": ("pwrite",),
    "getdents64": ("getdents",),
    "rt_sigaction": ("sigaction",),
    "rt_sigprocmask": ("sigprocmask", "pthread_sigmask"),
    "rt_sigreturn": ("sigreturn",),
    "rt_sigtimedwait": ("sigtimedwait", "sigwaitinfo"),
    "clone3": ("clone", "pthread_create"),
    "clone": ("fork",),
    "vfork": ("fork", "posix_spawn"),
    "wait4": ("waitpid", "wait"),
    "epoll_pwait": ("epoll_wait",),
    "epoll_create1": ("epoll_create",),
    "pipe2": ("pipe",),
    "dup2": ("dup",),
    "dup3": ("dup",),
    "accept4": ("accept",),
    "inotify_init1": ("inotify_init",),
    "eventfd2": ("eventfd",),
    "signalfd4": ("signalfd",),
    "umount2": ("umount",),
    "fchmodat": ("chmod",),
    "fchownat": ("chown",),
    "unlinkat": ("unlink", "rmdir"),
    "renameat2": ("renameat", "rename"),
    "renameat": ("rename",),
    "linkat": ("link",),
    "symlinkat": ("symlink",),
    "mkdirat": ("mkdir",),
    "readlinkat": ("readlink",),
    "utimensat": ("futimens",),
}


def system_calls_section(page: str) -> str:
    """The text of the page's SYSTEM CALLS section, as written (mdoc source)."""
    text = (REPO / "man" / page).read_text()
    m = re.search(r"^\.Sh SYSTEM CALLS\n(.*?)(?=^\.Sh )", text, re.S | re.M)
    assert m, f"man/{page} has no SYSTEM CALLS section"
    return m.group(1)


def named(call: str, section: str) -> bool:
    for name in (call, *ALIASES.get(call, ())):
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", section):
            return True
    return False


def calls_in(trace_dir: Path, exe: Path) -> dict[str, str]:
    """The calls in the per-process files of `strace -ff -o trace_dir/t`, each with the first line
    that made it, without the loader's (up to the first rseq of a process that starts with an
    execve of the tool) and without those of a child after it executed another program."""
    calls: dict[str, str] = {}
    for f in trace_dir.iterdir():
        lines = f.read_text(errors="replace").splitlines()
        start = 0
        if lines and lines[0].startswith("execve(") and lines[0].endswith("= 0"):
            start = next((i + 1 for i, line in enumerate(lines) if line.startswith("rseq(")), 1)
        libc_fds: set[str] = set()
        for i in range(start, len(lines)):
            line = lines[i]
            if opened := LIBC_FILES.match(line):
                libc_fds.add(opened.group(2))
            elif (on_fd := LIBC_FD_CALLS.match(line)) and on_fd.group(2) in libc_fds:
                continue
            elif line.startswith("close(") and (fd := line[6:].split(")")[0]) in libc_fds:
                libc_fds.discard(fd)
            m = re.match(r"([a-z_0-9]+)\(", line)
            if not m:
                continue  # --- signals ---, +++ exits +++
            name = m.group(1)
            if IGNORED_LINES.match(line):
                continue
            if name == "socket" and i + 1 < len(lines) and NSCD.match(lines[i + 1]):
                continue  # the socket of nscd's connect
            calls.setdefault(name, line)
            if name == "execve" and line.endswith("= 0") and f'"{exe}"' not in line.split(",")[0]:
                break  # another program from here on
    return calls


class Traced:
    """TOOL ARGS... started under strace; stop() ends the tool (SIGTERM, or it exits by itself)
    and returns its exit status."""

    def __init__(self, trace_dir: Path, tool: str, *args, cwd=None, env=None, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, fd9: Path | None = None):
        self.exe = tool_path(tool)
        self.dir = trace_dir
        trace_dir.mkdir(parents=True, exist_ok=True)
        argv = [STRACE, "-f", "-ff", "-qq", "-o", str(trace_dir / "t"), "--", str(self.exe),
                *[a if isinstance(a, bytes) else os.fspath(a) if isinstance(a, Path) else str(a) for a in args]]
        if fd9 is not None:  # the file open as descriptor 9, as after a shell's exec 9>FILE
            argv = ["/bin/sh", "-c", 'exec 9>"$0" && exec "$@"', str(fd9), *argv]
        self.proc = subprocess.Popen(argv, cwd=cwd, env=tool_env(env), stdin=stdin, stdout=stdout,
                                     stderr=subprocess.PIPE)

    def tool_pid(self) -> int | None:
        """The tool's process ID: strace's child, once it has started it."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = children.read_text().split()
        except OSError:
            return None
        return int(pids[0]) if pids else None

    def started(self) -> bool:
        """Whether strace's child runs the tool (it has made its execve)."""
        pid = self.tool_pid()
        try:
            return pid is not None and os.readlink(f"/proc/{pid}/exe") == os.fspath(self.exe)
        except OSError:
            return False

    def watching(self) -> None:
        """Waits until the tool (inwatch) holds its watches and waits for events: what
        happens before would not be seen."""
        wait_until(lambda: self.started() and (watch_count(self.tool_pid()) or 0) > 0
                   and in_event_loop(self.tool_pid()), 20, f"{self.exe.name} watching")

    def stop(self, sig=signal.SIGTERM, timeout=20) -> int:
        if self.proc.poll() is None and sig is not None:
            wait_until(self.started, 10, "strace starting the tool")
            # A signal before the tool handles it would end it by its default action.
            wait_until(lambda: handles_signal(self.tool_pid(), sig) or self.proc.poll() is not None, 10,
                       f"{self.exe.name} handling signal {sig}")
            self.signal(sig)
        if self.proc.stdin is not None and self.proc.stdin.closed:
            self.proc.stdin = None  # closed by the caller: the end of the tool's input
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"{self.exe.name} did not end within {timeout} s:\n{err.decode(errors='replace')}")
        self.err = err.decode(errors="replace")
        return self.proc.returncode

    def signal(self, sig) -> None:
        pid = self.tool_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def calls(self) -> dict[str, str]:
        return calls_in(self.dir, self.exe)


def traced_run(trace_dir: Path, tool: str, *args, ok=(0, 1), **kw) -> dict[str, str]:
    t = Traced(trace_dir, tool, *args, **kw)
    rc = t.stop(sig=None, timeout=60)
    assert rc in ok, f"{tool} {args}: exit {rc}\n{t.err}"
    return t.calls()


# --- the typical runs, one function per tool: each returns the calls made --------------------

def merge(into: dict[str, str], calls: dict[str, str]) -> None:
    """Adds the calls of one run to those of others, keeping the first line seen for each."""
    for name, line in calls.items():
        into.setdefault(name, line)


def small_tree(root: Path) -> Path:
    """A few directories and files, with two identical files and a world-writable one."""
    (root / "srv" / "a" / ".git").mkdir(parents=True)
    (root / "srv" / "b").mkdir()
    (root / "srv" / "a" / "one.txt").write_bytes(b"same content\n" * 500)
    (root / "srv" / "b" / "copy.txt").write_bytes(b"same content\n" * 500)
    (root / "srv" / "b" / "other.gz").write_bytes(b"different\n" * 100)
    open_file = root / "srv" / "b" / "open"
    open_file.write_text("x\n")
    os.chmod(open_file, 0o666)
    os.symlink("missing", root / "srv" / "dangling")
    return root / "srv"


def run_permscan(tmp: Path) -> dict[str, str]:
    srv = small_tree(tmp)
    calls: dict[str, str] = {}
    for i, args in enumerate([(srv,), ("-x", "--min-severity", "high", srv), ("--summary", srv),
                              ("-0", "--check", "world-writable-file", srv), ("--fix", srv),
                              ("--exclude", ".git", "--format", "json", srv), ("--fix", "--apply", srv)]):
        merge(calls, traced_run(tmp / f"t{i}", "permscan", *args))
    return calls


def run_dirsize(tmp: Path) -> dict[str, str]:
    srv = small_tree(tmp)
    calls: dict[str, str] = {}
    for i, args in enumerate([(), ("-h", srv, tmp), ("-h", "-d", "1", srv), ("-x", "--top", "10", srv),
                              ("-h", "--top", "20", "--files", srv), ("-b", "--exclude", "*.gz", srv),
                              ("--format", "json", "-d", "1", srv), ("-0", "-d", "1", srv)]):
        merge(calls, traced_run(tmp / f"t{i}", "dirsize", *args, cwd=srv))
    return calls


def run_dupfind(tmp: Path) -> dict[str, str]:
    srv = small_tree(tmp)
    calls: dict[str, str] = {}
    for i, args in enumerate([(srv,), ("--summary", "-x", srv), ("--keep", "oldest", "--hardlink", srv),
                              ("--hash", "sha256", "--verify", srv), ("--format", "json", srv),
                              ("--keep", "oldest", "--hardlink", "--apply", srv)]):
        merge(calls, traced_run(tmp / f"t{i}", "dupfind", *args))
    srv = small_tree(tmp / "again")
    merge(calls, traced_run(tmp / "del", "dupfind", "--keep", str(srv / "a") + "/*", "--delete", "--apply",
                            srv / "a", srv / "b"))
    return calls


def run_fdlock(tmp: Path) -> dict[str, str]:
    lock = tmp / "lock"
    calls: dict[str, str] = {}
    merge(calls, traced_run(tmp / "t0", "fdlock", "-n", lock, "true"))
    merge(calls, traced_run(tmp / "t1", "fdlock", "-w", "10", "--deadline", "3600", "--grace", "60", lock, "true"))
    merge(calls, traced_run(tmp / "t2", "fdlock", "-s", lock, "-c", "true"))
    merge(calls, traced_run(tmp / "t3", "fdlock", "--range", "1024:512", lock, "true"))
    merge(calls, traced_run(tmp / "t4", "fdlock", "--list", "--format", "json"))
    # A holder, for --holder to find and -w to wait for until it gives up.
    holder = subprocess.Popen([str(tool_path("fdlock")), str(lock), "sleep", "30"])
    try:
        wait_until(lambda: lock_is_held(lock), 10, "the lock taken")
        merge(calls, traced_run(tmp / "t5", "fdlock", "--holder", lock))
        merge(calls, traced_run(tmp / "t6", "fdlock", "-w", "0.2", lock, "true"))
    finally:
        holder.terminate()
        holder.wait(10)
    # The descriptor form, from a shell holding descriptor 9.
    merge(calls, traced_run(tmp / "t7", "fdlock", "-n", "9", fd9=lock))
    merge(calls, traced_run(tmp / "t8", "fdlock", "-u", "9", fd9=lock))
    return calls


def lock_is_held(lock: Path) -> bool:
    r = subprocess.run([str(tool_path("fdlock")), "--holder", str(lock)], stdout=subprocess.DEVNULL)
    return r.returncode == 1


def run_inwatch(tmp: Path) -> dict[str, str]:
    src = tmp / "src"
    (src / "sub").mkdir(parents=True)
    calls: dict[str, str] = {}

    def changes():
        for i in range(3):
            (src / f"f{i}").write_text("x")
            os.rename(src / f"f{i}", src / "sub" / f"g{i}")
        (src / "newdir").mkdir(exist_ok=True)
        (src / "newdir" / "h").write_text("y")

    for i, args in enumerate([("-m", "-r", src), ("-m", "-r", "--format", "%w%f %e %T", "--timefmt", "%H:%M:%S", src),
                              ("-m", "-0", "-e", "close_write,moved_to", src),
                              ("-r", "-e", "close_write,delete,move", "--exclude", "build", "--debounce", "20",
                               src, "--exec", "true"),
                              ("-r", "-e", "close_write,move", "--restart", "--grace", "1", "--debounce", "20", src,
                               "--exec", "sleep", "30"),
                              ("-r", "-e", "close_write", "--shell", "--debounce", "20", src, "--exec",
                               'echo "$INWATCH_COUNT"; echo "$INWATCH_PATHS"')]):
        t = Traced(tmp / f"t{i}", "inwatch", *args, stdout=subprocess.PIPE)
        t.watching()
        changes()
        time.sleep(0.3)
        changes()
        time.sleep(0.2)
        assert t.stop() in (0, 1), t.err
        merge(calls, t.calls())
    t = Traced(tmp / "wait", "inwatch", "-t", "60", "-e", "close_write,moved_to", src)
    t.watching()
    (src / "arrived").write_text("z")
    assert t.stop(sig=None) == 0, t.err
    merge(calls, t.calls())
    return calls


def run_logroll(tmp: Path) -> dict[str, str]:
    calls: dict[str, str] = {}
    lines = b"".join(b"line %d of the log, with some text to fill it\n" % i for i in range(600))
    for i, args in enumerate([("--size", "10K", "--keep", "3", "--compress", "zstd"),
                              ("--interval", "1d", "--timestamp", "iso8601", "--max-age", "31d"),
                              ("--size", "20K", "--numbered", "--compress", "gzip")]):
        log = tmp / f"pipe{i}" / "current"
        log.parent.mkdir()
        t = Traced(tmp / f"t{i}", "logroll", *args, log, stdin=subprocess.PIPE)
        t.proc.stdin.write(lines)
        t.proc.stdin.close()
        assert t.stop(sig=None) == 0, t.err
        merge(calls, t.calls())
    # Watch mode: the writer, a process with a pid file that reopens its log on SIGHUP.
    for i, method in enumerate(("rename", "copytruncate")):
        d = tmp / f"watch{i}"
        d.mkdir()
        log, pidfile = d / "app.log", d / "app.pid"
        writer = subprocess.Popen(["/usr/bin/python3", "-c", WRITER, str(log), str(pidfile)])
        try:
            wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 10, "the writer's pid file")
            signalling = ("--pidfile", pidfile) if method == "rename" else ()
            t = Traced(tmp / f"w{i}", "logroll", "--watch", log, "--size", "20K", *signalling,
                       "--compress", "gzip", "--keep", "10", "--method", method)
            time.sleep(1)
            assert t.stop() == 0, t.err
            merge(calls, t.calls())
        finally:
            writer.kill()
            writer.wait()
    d = tmp / "once"
    d.mkdir()
    (d / "app.log").write_bytes(lines)
    merge(calls, traced_run(tmp / "o0", "logroll", "--once", d / "app.log", "--keep", "3", "--dry-run"))
    merge(calls, traced_run(tmp / "o1", "logroll", "--once", d / "app.log", "--size", "1K", "--wait", "5",
                            "--reopen-cmd", f"echo reopened > '{d / 'app.log'}'", "--compress", "zstd",
                            "--keep", "14"))
    merge(calls, traced_run(tmp / "o2", "logroll", "--once", d / "app.log", "--age", "1d"))
    return calls


# A log writer for logroll --watch: appends lines, reopens its log on SIGHUP.
WRITER = """
import os, signal, sys, time
log, pidfile = sys.argv[1], sys.argv[2]
f = open(log, "a", buffering=1)
hup = []
signal.signal(signal.SIGHUP, lambda *_: hup.append(1))
open(pidfile, "w").write(f"{os.getpid()}\\n")
n = 0
while True:
    if hup:
        hup.clear()
        f.close()
        f = open(log, "a", buffering=1)
    f.write(f"line {n} of the application's log, with some text\\n")
    n += 1
    if n % 50 == 0:
        time.sleep(0.05)
"""


def run_pipekit(tmp: Path) -> dict[str, str]:
    calls: dict[str, str] = {}
    log = tmp / "app.log"
    log.write_text("".join(f"{lvl}: message {i}\n" for i, lvl in enumerate(["ERROR", "info", "warning", "crit"] * 50)))
    merge(calls, traced_run(tmp / "r0", "pipekit", "run", "echo 'Hello, pipe!'", "grep pipe"))
    merge(calls, traced_run(tmp / "r1", "pipekit", "run", "--status", f"grep -h ERROR {log}", "sort", "uniq -c"))
    merge(calls, traced_run(tmp / "r2", "pipekit", "run", "-t", "60", f"find {tmp} -name *.tmp -print0",
                            "xargs -0 rm -f"))
    merge(calls, traced_run(tmp / "c0", "pipekit", "filter", "--level", "all", "--count", log))
    merge(calls, traced_run(tmp / "c1", "pipekit", "filter", log))
    fifo_out = subprocess.run([str(tool_path("pipekit")), "fifo", "--dir", str(tmp)], stdout=subprocess.PIPE,
                              check=True).stdout.decode().strip()
    merge(calls, traced_run(tmp / "f0", "pipekit", "fifo", "--dir", tmp, stdout=subprocess.PIPE))
    framed = (("--frame", "-z", "zstd"), ("--frame", "-0", "-z", "zstd", "-t", "60"))
    for i, (send, recv) in enumerate([((), ()), framed]):
        r = Traced(tmp / f"recv{i}", "pipekit", "recv", *recv, fifo_out, stdout=subprocess.PIPE)
        s = Traced(tmp / f"send{i}", "pipekit", "send", *send, fifo_out, stdin=subprocess.PIPE)
        s.proc.stdin.write(b"".join(b"task %d\n" % n for n in range(10)))
        s.proc.stdin.close()
        assert s.stop(sig=None) == 0, s.err
        assert r.stop(sig=None) == 0, r.err
        merge(calls, s.calls())
        merge(calls, r.calls())
    merge(calls, traced_run(tmp / "s2", "pipekit", "send", "-t", "0.3", fifo_out, log, ok=(124,)))
    f = Traced(tmp / "follow", "pipekit", "filter", "--follow", fifo_out, stdout=subprocess.PIPE)
    for _ in range(2):
        time.sleep(0.3)
        with open(fifo_out, "w") as w:
            w.write("ERROR: it broke\ninfo: fine\n")
    time.sleep(0.3)
    assert f.stop() in (0, 1), f.err
    merge(calls, f.calls())
    # The pump between two pipes, as in tar | pipekit pump | zstd: spliced, and with a buffer.
    for i, args in enumerate([("-L", "20M"), ("-b", "1M", "-L", "20M")]):
        producer = subprocess.Popen(["head", "-c", "4M", "/dev/zero"], stdout=subprocess.PIPE)
        p = Traced(tmp / f"pump{i}", "pipekit", "pump", *args, stdin=producer.stdout, stdout=subprocess.PIPE)
        producer.stdout.close()
        assert p.stop(sig=None) == 0, p.err
        producer.wait()
        merge(calls, p.calls())
    return calls


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connectable(addr) -> bool:
    family = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    try:
        with socket.socket(family) as s:
            s.connect(addr)
        return True
    except OSError:
        return False


def run_sockkit(tmp: Path) -> dict[str, str]:
    calls: dict[str, str] = {}
    echo, chat, http = str(tmp / "echo.sock"), str(tmp / "chat.sock"), str(tmp / "http.sock")
    (tmp / "www").mkdir()
    (tmp / "www" / "index.html").write_text("<p>hello</p>\n")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    tls_port, ws_port = free_port(), free_port()
    servers = [(Traced(tmp / "s-echo", "sockkit", "echo", "serve", f"unix:{echo}"), echo),
               (Traced(tmp / "s-chat", "sockkit", "chat", "serve", f"unix:{chat}", "--history", "50",
                       "--ws", f"tcp:127.0.0.1:{ws_port}"), chat),
               (Traced(tmp / "s-http", "sockkit", "http", "serve", f"unix:{http}", "--root", tmp / "www"), http),
               (Traced(tmp / "s-tls", "sockkit", "echo", "serve", f"tcp:127.0.0.1:{tls_port}", "--tls", cert, key),
                ("127.0.0.1", tls_port))]
    try:
        for _, addr in servers:
            wait_until(lambda: connectable(addr), 10, f"a server on {addr}")
        merge(calls, traced_run(tmp / "c-echo", "sockkit", "echo", "send", f"unix:{echo}", "hello",
                                stdout=subprocess.PIPE))
        merge(calls, traced_run(tmp / "c-chat", "sockkit", "chat", "join", f"unix:{chat}", "--name", "alice",
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE))
        merge(calls, traced_run(tmp / "c-http", "sockkit", "http", "get", f"unix:{http}", "/index.html",
                                stdout=subprocess.PIPE))
        merge(calls, traced_run(tmp / "c-tls", "sockkit", "echo", "send", f"tcp:127.0.0.1:{tls_port}", "secret",
                                "--ca", cert, stdout=subprocess.PIPE))
    finally:
        for server, _ in servers:
            server.stop()
            merge(calls, server.calls())
    # The file transfer over UDP with 20% loss.
    port = free_port(socket.SOCK_DGRAM)
    (tmp / "backup.tar").write_bytes(os.urandom(256 << 10))
    recv = Traced(tmp / "u-recv", "sockkit", "udp", "recv", f"udp:127.0.0.1:{port}", tmp / "received.tar",
                  "--loss", "0.2")
    time.sleep(0.5)
    merge(calls, traced_run(tmp / "u-send", "sockkit", "udp", "send", tmp / "backup.tar", f"udp:127.0.0.1:{port}",
                            "--loss", "0.2", ok=(0,)))
    assert recv.stop(sig=None) == 0, recv.err
    merge(calls, recv.calls())
    return calls


def run_cachenode(tmp: Path) -> dict[str, str]:
    port, http_port = free_port(), free_port()
    t = Traced(tmp / "t", "cachenode", "--port", port, "--http-port", http_port, "--threads", "2",
               "--max-memory", "64M", "--eviction", "lru")
    try:
        wait_until(lambda: connectable(("127.0.0.1", port)), 10, "cachenode listening")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"*5\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n$2\r\nEX\r\n$2\r\n60\r\n"
                      b"*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n*2\r\n$3\r\nTTL\r\n$8\r\ngreeting\r\n")
            got = b""
            while got.count(b"\r\n") < 4:
                got += s.recv(4096)
        body = b'{"key":"greeting","value":"hello"}'
        for request in (b"POST /set HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
                        b"GET /get?key=greeting HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", http_port), timeout=10) as s:
                s.sendall(request)
                assert s.recv(4096).startswith(b"HTTP/1.1 ")
        time.sleep(1.2)  # a round of active expiry
    finally:
        assert t.stop() == 0, t.err
    return t.calls()


def run_usbtidy(tmp: Path) -> dict[str, str]:
    """organize, undo and list on this machine; watch for a drive that does not come: its udev
    monitor, mount table and signals.  What watch does when a drive comes (a D-Bus call to
    UDisks2 with --mount, a notification, organize) needs the fixtures of test_usbtidy, under
    umockdev's preloaded library, whose own calls would be counted: the calls of organize are
    checked here, and those of D-Bus with btprox's runs."""
    stick = tmp / "MY STICK"
    (stick / "old").mkdir(parents=True)
    for name in ("a.jpg", "b.JPG", "c.pdf", "d.mp3", "notes", "old/e.txt"):
        (stick / name).write_bytes(b"data of " + name.encode())
    calls: dict[str, str] = {}
    for i, args in enumerate([("organize", "--dry-run", stick), ("organize", stick), ("undo", stick),
                              ("list",), ("list", "--format", "json")]):
        merge(calls, traced_run(tmp / f"t{i}", "usbtidy", *args, stdout=subprocess.PIPE))
    # A label no drive has: a stick plugged in meanwhile is left alone.
    t = Traced(tmp / "watch", "usbtidy", "watch", "--label", f"syskit-test-{os.getpid()}")
    time.sleep(1)
    assert t.stop() == 0, t.err
    merge(calls, t.calls())
    return calls


def run_btprox(tmp: Path) -> dict[str, str]:
    """scan and watch against BlueZ mocked on a private system bus, as test_btprox does."""
    tb = pytest.importorskip("test_btprox")
    bus = tb.Bus(tmp, "system")
    calls: dict[str, str] = {}
    try:
        bus.start_mock("bluez5", "org.bluez")
        m = bus.obj("org.bluez", "/org/bluez", "org.bluez.Mock")
        m.AddAdapter("hci0", "laptop")
        m.AddDevice("hci0", tb.PHONE, "My Phone")
        tb.set_rssi(bus, -50)
        env = tb.env_for(bus)
        merge(calls, traced_run(tmp / "scan", "btprox", "scan", "--timeout", "0.3", env=env, stdout=subprocess.PIPE))
        merge(calls, traced_run(tmp / "scan-json", "btprox", "--format", "json", "scan", "--timeout", "0.3",
                                env=env, stdout=subprocess.PIPE))
        t = Traced(tmp / "watch", "btprox", "watch", "--device", tb.PHONE, "--window", "2", "--verbose",
                   "--on-away", "true", "--on-near", "true", env=env)
        time.sleep(1)
        for rssi in (-90, -90, -90, -40, -40, -40):
            tb.set_rssi(bus, rssi)
            time.sleep(0.2)
        assert t.stop() == 0, t.err
        merge(calls, t.calls())
    finally:
        bus.stop()
    return calls


TYPICAL_RUNS = {"permscan": run_permscan, "dirsize": run_dirsize, "dupfind": run_dupfind, "fdlock": run_fdlock,
                "inwatch": run_inwatch, "logroll": run_logroll, "pipekit": run_pipekit, "sockkit": run_sockkit,
                "cachenode": run_cachenode, "usbtidy": run_usbtidy, "btprox": run_btprox}


def unnamed_calls(tool: str, calls: dict[str, str]) -> list[str]:
    """The calls of a run that the page's SYSTEM CALLS section does not name, with a line of
    the trace that made each."""
    section = system_calls_section(f"{tool}.1")
    return [f"{name}: {line[:200]}" for name, line in sorted(calls.items())
            if name not in IGNORED and not named(name, section)]


@pytest.mark.skipif(STRACE is None, reason="needs strace")
@pytest.mark.skipif(sanitized_build(), reason="the sanitizers' run-time makes calls of its own: the normal build's "
                    "runs are the ones the pages describe")
@pytest.mark.parametrize("tool", sorted(TYPICAL_RUNS))
def test_system_calls_section_names_every_call_of_a_typical_run(tool, tmp_path):
    calls = TYPICAL_RUNS[tool](tmp_path)
    missing = unnamed_calls(tool, calls)
    assert not missing, (f"man/{tool}.1's SYSTEM CALLS does not name these calls of a typical run "
                         "(strace -f; name each, or its glibc name, and say why it is made):\n"
                         + "\n".join(missing))


def test_every_tool_has_typical_runs():
    """A new tool gets its typical runs here, and so its page gets checked."""
    tools = sorted(p.parent.name for p in (REPO / "tools").glob("*/main.cpp"))
    assert tools == sorted(TYPICAL_RUNS), "give each tool a run_TOOL() here, the runs of its page's EXAMPLES"


def test_the_checker_sees_an_unnamed_call_and_a_named_one():
    section = ".Xr openat 2\nthen\n.Fn epoll_wait ,\nand posix_fadvise\n"
    assert named("openat", section) and named("epoll_pwait", section) and named("fadvise64", section)
    assert not named("open", section) and not named("epoll_ctl", section) and not named("wait", section)


def test_the_trace_leaves_out_the_loader_and_other_programs(tmp_path):
    exe = tool_path("fdlock")
    (tmp_path / "t.100").write_text(f'execve("{exe}", ["fdlock"], 0x0 /* 1 var */) = 0\n'
                                    'openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3\n'
                                    'pread64(3, "", 784, 64) = 784\n'
                                    'rseq(0x7f, 0x20, 0, 0x53053053) = 0\n'
                                    'openat(AT_FDCWD, "/run/lock/x", O_WRONLY|O_CLOEXEC) = 3\n'
                                    'lseek(3, 0, SEEK_END) = 0\n'
                                    '--- SIGCHLD {si_signo=SIGCHLD} ---\n')
    (tmp_path / "t.101").write_text('setsid() = 101\n'
                                    'execve("/bin/true", ["true"], 0x0 /* 1 var */) = 0\n'
                                    'rseq(0x7f, 0x20, 0, 0x53053053) = 0\n'
                                    'fadvise64(0, 0, 0, POSIX_FADV_SEQUENTIAL) = 0\n')
    assert sorted(calls_in(tmp_path, exe)) == ["execve", "lseek", "openat", "setsid"]


# --- syskit(7) and the pages' common parts -----------------------------------------------------

def helps(tool: str, *sub: str) -> dict[tuple, str]:
    """TOOL --help and the --help of each subcommand, below it too: {(sub, ...): text}."""
    r = subprocess.run([str(tool_path(tool)), *sub, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=tool_env(), timeout=10)
    assert r.returncode == 0, r.stdout
    text = r.stdout.decode()
    found = {tuple(sub): text}
    m = re.search(r"^Commands:\n((?: .*\n)+)", text, re.M)
    for line in m.group(1).splitlines() if m else []:
        if not line.startswith("  "):  # a command's name, not its description's next line
            found.update(helps(tool, *sub, line.split()[0]))
    return found


def has_option(text: str, option: str) -> bool:
    return re.search(rf"^\s+(?:\S+,)?{re.escape(option)}[\s,]", text, re.M) is not None


def test_shared_option_table_says_which_tool_has_which():
    """Each cell of syskit(7)'s SHARED OPTIONS table against the tools' --help: "yes" (the option
    in the tool's help or a subcommand's), a subcommand (in its help), an option (in the help),
    or "-" (in no help of the tool)."""
    text = (REPO / "man" / "syskit.7").read_text()
    table = re.search(r"^\.Sh SHARED OPTIONS\n.*?^\.Bl -column.*?\n(.*?)^\.El", text, re.S | re.M).group(1)
    rows = [line[len(".It "):].split(" Ta ") for line in table.splitlines()]
    header, rows = rows[0], rows[1:]
    assert header == ["Sy tool", "Sy threads", "Sy --color", "Sy -q", "Sy --format", "Sy -0", "Sy depth"]
    # What "yes" means in each column.
    options = {2: ("--color",), 3: ("-q", "--quiet"), 4: ("--format",), 5: ("-0", "--null")}
    threads = ("-j", "--threads", "--jobs")
    assert sorted(r[0] for r in rows) == sorted(TYPICAL_RUNS)
    for row in rows:
        tool = row[0]
        all_help = helps(tool)
        for col, cell in enumerate(row[1:], start=1):
            what = f"syskit(7), SHARED OPTIONS, {tool}, {header[col][3:]}: {cell!r}"
            if cell == r"\-":
                wanted = threads if col == 1 else ("--max-depth", "--depth") if col == 6 else options[col]
                assert not any(has_option(h, o) for h in all_help.values() for o in wanted), what
            elif cell.startswith("Fl "):
                option = "-" + cell[len("Fl "):]
                assert has_option(all_help[()], option), what
            elif cell == "yes" or cell.startswith("yes,"):
                assert any(has_option(h, o) for h in all_help.values() for o in options[col]), what
            else:  # subcommands: Cm pump, or Cm send , recv
                for sub in cell[len("Cm "):].split(" , "):
                    assert any(has_option(all_help[(sub,)], o) for o in options[col]), what


def test_pages_name_syskit_and_its_version_and_have_the_common_sections():
    pages = sorted((REPO / "man").glob("*.[17]"))
    see_also = re.search(r"^\.Sh SEE ALSO\n(.*?)^\.Sh ", (REPO / "man" / "syskit.7").read_text(), re.S | re.M).group(1)
    for page in pages:
        text = page.read_text()
        assert "\n.Os syskit @VERSION@\n" in text, page.name
        assert "\n.ds doc-volume-operating-system syskit @VERSION@\n" in text, page.name
        for section in ("SEE ALSO", "REPORTING BUGS", "AVAILABILITY"):
            assert f"\n.Sh {section}\n" in text, f"{page.name}: no {section}"
        if page.suffix == ".1":
            assert f".Xr {page.stem} 1" in see_also, f"syskit(7)'s SEE ALSO does not list {page.stem}(1)"
    assert sorted(p.stem for p in pages if p.suffix == ".1") == sorted(TYPICAL_RUNS)

"""sockkit end to end: echo, chat and HTTP servers on Unix files, abstract names and TCP, with
peers written by others (socat, nc -U, curl, openssl s_client) and sockkit's own clients."""
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import assert_no_sanitizer_report, can_run_as_nobody, Result, run_tool, tool_env, tool_path, wait_until

SOCAT = shutil.which("socat")
NC = shutil.which("nc.openbsd") or shutil.which("nc")
CURL = shutil.which("curl")
OPENSSL = shutil.which("openssl")


class Server:
    """sockkit ARGS running in the background, its log in a file; stopped with SIGTERM."""

    def __init__(self, tmp_path: Path, *args):
        self.log_path = tmp_path / f"server-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "wb")
        self.argv = [os.fspath(tool_path("sockkit"))] + [os.fspath(a) for a in args]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=tool_env())
        # One "listening" line per address, in turn: with a TCP address, wait for its line, which
        # gives the port (the first line alone left port None now and then under load).
        want = "msg=listening address=tcp:" if any(os.fspath(a).startswith("tcp:") for a in args) else "msg=listening"
        wait_until(lambda: want in self.text() or self.proc.poll() is not None, what="listening")
        assert self.proc.poll() is None, self.text()
        m = re.search(r"msg=listening address=tcp:127\.0\.0\.1:(\d+)", self.text())
        self.port = int(m.group(1)) if m else None

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=10)
        self.log.close()
        assert_no_sanitizer_report(Result(self.argv, rc, b"", self.text()))
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def unix_connect(path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.fspath(path))
    return s


def read_until(s: socket.socket, pattern: bytes, timeout: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while pattern not in data:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    assert pattern in data, data
    return data


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- addresses and socket files ---------------------------------------------------------

def test_socket_file_mode_stale_live_and_removal(tmp_path):
    sock = tmp_path / "e.sock"
    with Server(tmp_path, "echo", "serve", f"unix:{sock}"):
        assert stat.S_ISSOCK(sock.lstat().st_mode)
        assert stat.S_IMODE(sock.lstat().st_mode) == 0o600
        # A second server never takes a live socket.
        r = run_tool("sockkit", "echo", "serve", f"unix:{sock}")
        assert r.rc == 2, r
        assert r.err_lines() == [f"sockkit: unix:{sock}: a server is listening on this socket; not replacing it"]
        assert sock.exists()
    assert not sock.exists()

    # A stale one (its server killed) is replaced; SIGINT removes it as SIGTERM does.
    srv = Server(tmp_path, "echo", "serve", f"unix:{sock}", "--mode", "660")
    srv.proc.kill()
    srv.proc.wait()
    srv.log.close()
    assert sock.exists()
    srv = Server(tmp_path, "echo", "serve", f"unix:{sock}", "--mode", "660")
    assert stat.S_IMODE(sock.lstat().st_mode) == 0o660
    assert srv.stop(signal.SIGINT) == 0
    assert not sock.exists()

    # A file that is not a socket is left alone.
    plain = tmp_path / "plain"
    plain.write_text("keep")
    r = run_tool("sockkit", "echo", "serve", f"unix:{plain}")
    assert r.rc == 2, r
    assert r.err_lines() == [f"sockkit: unix:{plain}: exists and is not a socket; not replacing it"]
    assert plain.read_text() == "keep"


def test_connect_errors_name_the_address(tmp_path):
    r = run_tool("sockkit", "echo", "send", f"unix:{tmp_path}/none.sock", "x")
    assert r.rc == 2, r
    assert r.err_lines() == [f"sockkit: unix:{tmp_path}/none.sock: connect: No such file or directory"]
    r = run_tool("sockkit", "echo", "serve", "tcp:no.such.host.invalid:1")
    assert r.rc == 2, r
    assert r.err_lines()[0].startswith("sockkit: tcp:no.such.host.invalid:1: getaddrinfo(no.such.host.invalid): ")


# --- echo ----------------------------------------------------------------------------------

@pytest.mark.skipif(not SOCAT or not NC, reason="needs socat and netcat-openbsd")
def test_echo_on_a_unix_socket_with_socat_nc_and_our_client(tmp_path):
    sock = tmp_path / "e.sock"
    with Server(tmp_path, "echo", "serve", f"unix:{sock}") as srv:
        p = subprocess.run([SOCAT, "-t5", "-", f"UNIX-CONNECT:{sock}"], input=b"one\ntwo\n", capture_output=True,
                           timeout=20)
        assert p.stdout == b"one\ntwo\n", p
        p = subprocess.run([NC, "-N", "-U", os.fspath(sock)], input=b"via nc\n", capture_output=True, timeout=20)
        assert p.stdout == b"via nc\n", p
        r = run_tool("sockkit", "echo", "send", f"unix:{sock}", "hello")
        assert (r.rc, r.out) == (0, b"hello\n"), r
        data = os.urandom(3 << 20)
        r = run_tool("sockkit", "echo", "send", f"unix:{sock}", input=data)
        assert r.rc == 0, r
        assert r.out == data
        # nc showed who it was: SO_PEERCRED in the log.
        assert re.search(rf'msg=connected conn=\d+ peer="uid {os.getuid()} gid {os.getgid()} pid \d+"', srv.text())


@pytest.mark.skipif(not SOCAT, reason="needs socat")
def test_echo_on_an_abstract_name_and_tcp(tmp_path):
    name = f"syskit-e2e-{os.getpid()}-{time.monotonic_ns()}"
    with Server(tmp_path, "echo", "serve", f"abstract:{name}"):
        p = subprocess.run([SOCAT, "-t5", "-", f"ABSTRACT-CONNECT:{name}"], input=b"abstract\n", capture_output=True,
                           timeout=20)
        assert p.stdout == b"abstract\n", p
        r = run_tool("sockkit", "echo", "send", f"abstract:{name}", "x")
        assert r.out == b"x\n", r
    with Server(tmp_path, "echo", "serve", "tcp:127.0.0.1:0") as srv:
        p = subprocess.run([SOCAT, "-t5", "-", f"TCP:127.0.0.1:{srv.port}"], input=b"tcp\n", capture_output=True,
                           timeout=20)
        assert p.stdout == b"tcp\n", p
        data = os.urandom(1 << 20)
        r = run_tool("sockkit", "echo", "send", f"tcp:127.0.0.1:{srv.port}", input=data)
        assert r.out == data, r


def line_echo_server(path) -> threading.Thread:
    """A server that echoes whole lines, each with a blocking sendall, and reads nothing while
    it sends: a client that writes without reading would leave both sides blocked in write."""
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(os.fspath(path))
    srv.listen()

    def serve():
        with srv:
            conn, _ = srv.accept()
            with conn, conn.makefile("rb") as lines:
                for line in lines:
                    conn.sendall(line)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def test_echo_send_reads_while_it_writes(tmp_path):
    # A 4 MB line: nothing comes back until all of it was sent, then all of it at once while
    # the rest is still going out.  A client that stops reading, or stops sending until the
    # echo catches up, never finishes.
    sock = tmp_path / "lines.sock"
    server = line_echo_server(sock)
    data = b"x" * (4 << 20) + b"\n" + b"".join(b"line %d\n" % i for i in range(100000))
    r = run_tool("sockkit", "echo", "send", f"unix:{sock}", input=data, timeout=30)
    assert (r.rc, len(r.out)) == (0, len(data)), r.err
    assert r.out == data
    server.join(10)
    # And a few MB through our own server (under TLS: the test below).
    with Server(tmp_path, "echo", "serve", f"unix:{tmp_path / 'e.sock'}"):
        data = os.urandom(6 << 20)
        r = run_tool("sockkit", "echo", "send", f"unix:{tmp_path / 'e.sock'}", input=data, timeout=30)
        assert (r.rc, r.out == data) == (0, True), r.err


def test_echo_send_from_a_file_with_sendfile(tmp_path):
    # Standard input a regular file: sendfile(2) sends it.  Against the line server, which
    # echoes nothing until the 4 MB line is whole, the client must still read while the file
    # goes out; then through our own server on a Unix socket and on TCP.
    data = b"y" * (4 << 20) + b"\n" + b"".join(b"line %d\n" % i for i in range(100000))
    src = tmp_path / "input"
    src.write_bytes(data)

    def send(address):
        argv = [tool_path("sockkit"), "echo", "send", address]
        with open(src, "rb") as f:
            p = subprocess.run(argv, stdin=f, capture_output=True, env=tool_env(), timeout=30)
        r = Result(argv, p.returncode, p.stdout, p.stderr.decode(errors="surrogateescape"))
        assert_no_sanitizer_report(r)
        return r

    sock = tmp_path / "lines.sock"
    server = line_echo_server(sock)
    r = send(f"unix:{sock}")
    assert (r.rc, r.out == data) == (0, True), r.err
    server.join(10)
    with Server(tmp_path, "echo", "serve", f"unix:{tmp_path / 'e.sock'}"):
        r = send(f"unix:{tmp_path / 'e.sock'}")
        assert (r.rc, r.out == data) == (0, True), r.err
    with Server(tmp_path, "echo", "serve", "tcp:127.0.0.1:0") as srv:
        r = send(f"tcp:127.0.0.1:{srv.port}")
        assert (r.rc, r.out == data) == (0, True), r.err

def test_echo_serve_stops_reading_a_client_that_does_not_read(tmp_path):
    # A client that sends without reading: the server stops reading it as soon as the socket
    # takes no more of the echo, whatever --max-queue allows, so what the client can push in
    # is what the kernel's buffers hold (a few hundred KiB each way), not 64 MiB copied into
    # the server.  Then it reads, and gets back every byte in order.
    sock = tmp_path / "e.sock"
    with Server(tmp_path, "echo", "serve", f"unix:{sock}", "--max-queue", "64M"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(os.fspath(sock))
        c.setblocking(False)
        sent = bytearray()
        chunk = os.urandom(65536)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 1.0 and len(sent) < (64 << 20):
            try:
                n = c.send(chunk)
                sent += chunk[:n]
                idle_since = time.monotonic()
            except BlockingIOError:
                time.sleep(0.01)
        assert len(sent) < (16 << 20), f"the server took {len(sent)} bytes from a client that does not read"
        c.shutdown(socket.SHUT_WR)
        c.setblocking(True)
        c.settimeout(30)
        got = bytearray()
        while (d := c.recv(1 << 20)):
            got += d
        c.close()
        assert got == sent


@pytest.fixture
def cert(tmp_path):
    if not OPENSSL:
        pytest.skip("needs openssl")
    c, k = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", k, "-out", c, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return c, k


def test_echo_over_tls_with_openssl_and_our_client(tmp_path, cert):
    c, k = cert
    with Server(tmp_path, "echo", "serve", "tcp:127.0.0.1:0", "--tls", c, k) as srv:
        # s_client -quiet waits for the server to close after its input ends: read the echo, then stop it.
        p = subprocess.Popen([OPENSSL, "s_client", "-quiet", "-CAfile", c, "-verify_return_error",
                              "-connect", f"127.0.0.1:{srv.port}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(b"secret line\n")
            p.stdin.flush()
            assert p.stdout.readline() == b"secret line\n"
        finally:
            p.kill()
            p.wait()
        r = run_tool("sockkit", "echo", "send", f"tcp:127.0.0.1:{srv.port}", "over tls", "--ca", c)
        assert (r.rc, r.out) == (0, b"over tls\n"), r
        data = os.urandom(4 << 20)
        r = run_tool("sockkit", "echo", "send", f"tcp:127.0.0.1:{srv.port}", "--ca", c, input=data, timeout=30)
        assert r.out == data, r
        # A client that trusts another CA refuses the server.
        other = tmp_path / "other"
        other.mkdir()
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", other / "k.pem", "-out", other / "c.pem", "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        r = run_tool("sockkit", "echo", "send", f"tcp:127.0.0.1:{srv.port}", "x", "--ca", other / "c.pem")
        assert r.rc == 2, r
        assert "the server's certificate: " in r.err, r
        # Plain text to a TLS server: dropped, and the server goes on.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert s.recv(100) is not None
        s.close()
        r = run_tool("sockkit", "echo", "send", f"tcp:127.0.0.1:{srv.port}", "still", "--ca", c)
        assert r.out == b"still\n", r
    r = run_tool("sockkit", "echo", "serve", "tcp:127.0.0.1:0", "--tls", k, c)
    assert r.rc == 2, r
    assert r.err_lines()[0].startswith(f"sockkit: --tls: {k}: cannot load the certificate"), r


# --- chat ----------------------------------------------------------------------------------

def test_chat_names_history_joins_leaves_and_credentials(tmp_path):
    sock = tmp_path / "chat.sock"
    with Server(tmp_path, "chat", "serve", f"unix:{sock}", "--history", "2"):
        ann = unix_connect(sock)
        ann.sendall(b"/name ann\n")
        assert read_until(ann, b"* you are ann; here: ann\n")
        for i in range(3):
            ann.sendall(b"message %d\n" % i)
        # Our client joins, is given the last two messages, speaks and leaves at its input's end.
        r = run_tool("sockkit", "chat", "join", f"unix:{sock}", "--name", "bob", input=b"hi ann\n")
        assert r.rc == 0, r
        assert r.out.splitlines()[:3] == [b"ann: message 1", b"ann: message 2", b"* you are bob; here: ann, bob"], r
        seen = read_until(ann, b"* bob left\n")
        assert re.search(rb"\* bob joined \(uid \d+ gid \d+ pid \d+\)\nbob: hi ann\n\* bob left\n", seen), seen
        ann.sendall(b"/who\n")
        assert read_until(ann, b"* here: ann\n")


@pytest.mark.skipif(not NC, reason="needs netcat-openbsd")
def test_chat_with_nc_clients(tmp_path):
    sock = tmp_path / "chat.sock"
    with Server(tmp_path, "chat", "serve", f"unix:{sock}"):
        listener = subprocess.Popen([NC, "-U", os.fspath(sock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            listener.stdin.write(b"/name carol\n")
            listener.stdin.flush()
            assert listener.stdout.readline() == b"* you are carol; here: carol\n"
            p = subprocess.run([NC, "-N", "-U", os.fspath(sock)], input=b"/name dave\nhello carol\n/quit\n",
                               capture_output=True, timeout=20)
            assert b"* you are dave; here: carol, dave\n" in p.stdout, p
            time.sleep(0.3)
            listener.stdin.write(b"/quit\n")
            listener.stdin.flush()
            out = listener.stdout.read()
            assert re.fullmatch(rb"\* dave joined \(uid \d+ gid \d+ pid \d+\)\ndave: hello carol\n\* dave left\n", out), out
        finally:
            listener.kill()
            listener.wait()


def test_chat_allow_uid(tmp_path):
    if not can_run_as_nobody(tool_path("sockkit")):
        pytest.skip("nobody cannot run the build here")
    # An abstract name has no file permissions to keep anyone out: --allow-uid does.
    addr = f"abstract:syskit-e2e-chat-{os.getpid()}-{time.monotonic_ns()}"
    with Server(tmp_path, "chat", "serve", addr, "--allow-uid", str(os.getuid())) as srv:
        # Its input still open, as a terminal's: the hub's refusal ends the session, status 1.
        # (With input at its end, the client's /quit may reach the hub first: a normal end.)
        r = run_tool("sockkit", "chat", "join", addr, user=65534, input=b"let me in\n", stdin_open=True)
        assert r.rc == 1, r
        assert r.out == b"! uid 65534 gid 65534 may not join this chat\n", r
        assert 'msg=refused' in srv.text()
        r = run_tool("sockkit", "chat", "join", addr, input=b"/who\n")
        assert r.rc == 0, r


def test_chat_drops_a_stalled_reader_and_a_huge_line_and_keeps_serving(tmp_path):
    sock = tmp_path / "chat.sock"
    with Server(tmp_path, "chat", "serve", f"unix:{sock}", "--max-queue", "64K", "--history", "0") as srv:
        stalled = unix_connect(sock)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(b"/name stalled\n")
        talker = unix_connect(sock)
        talker.sendall(b"/name talker\n")
        read_until(talker, b"* you are talker")
        watcher = unix_connect(sock)
        watcher.sendall(b"/name watcher\n")
        read_until(watcher, b"* you are watcher")
        line = b"x" * 1000 + b"\n"
        got = b""
        for _ in range(2000):
            talker.sendall(line)
            watcher.setblocking(False)
            try:
                while True:
                    chunk = watcher.recv(1 << 20)
                    if not chunk:
                        break
                    got += chunk
            except BlockingIOError:
                pass
            if b"* stalled left (too slow" in got:
                break
        assert re.search(rb"\* stalled left \(too slow: more than 65536 bytes waiting to be sent\)\n", got)
        assert "msg=dropped" in srv.text()

        # 100 MB in one line: the sender is dropped early, the server's memory stays small.
        huge = unix_connect(sock)
        huge.sendall(b"/name huge\n")
        chunk = b"y" * (1 << 20)
        sent = 0
        try:
            while sent < (100 << 20):
                huge.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < (100 << 20)
        assert rss_kib(srv.proc.pid) < 64 * 1024
        watcher.setblocking(True)
        read_until(watcher, b"* huge left (sent a line longer than 4096 bytes)\n")
        # Everyone else is still served.
        talker.sendall(b"/who\n")
        read_until(talker, b"* here: talker, watcher\n")


# --- HTTP ----------------------------------------------------------------------------------

@pytest.fixture
def www(tmp_path):
    root = tmp_path / "www"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>\n")
    (root / "sub" / "a.txt").write_text("alpha\n")
    (tmp_path / "secret").write_text("outside\n")
    (root / "out").symlink_to("../secret")
    (root / "big").write_bytes(os.urandom(5 << 20))
    return root


@pytest.mark.skipif(not CURL, reason="needs curl")
def test_http_over_a_unix_socket_with_curl_and_our_client(tmp_path, www):
    sock = tmp_path / "h.sock"
    with Server(tmp_path, "http", "serve", f"unix:{sock}", "--root", www):
        curl = [CURL, "-s", "--unix-socket", os.fspath(sock)]
        p = subprocess.run(curl + ["http://localhost/sub/a.txt"], capture_output=True, timeout=20)
        assert p.stdout == b"alpha\n", p
        p = subprocess.run(curl + ["-o", os.fspath(tmp_path / "got"), "http://localhost/big"], timeout=60)
        assert (tmp_path / "got").read_bytes() == (www / "big").read_bytes()
        # Keep-alive: curl sends both requests on one connection.
        p = subprocess.run(curl + ["-v", "http://localhost/", "http://localhost/sub/a.txt"], capture_output=True,
                           timeout=20)
        assert p.stdout == b"<h1>home</h1>\nalpha\n", p
        assert b"Re-using existing connection" in p.stderr, p.stderr
        # No way out of the root.
        for path in ["/out", "/../secret", "/sub/%2e%2e/%2e%2e/secret"]:
            p = subprocess.run(curl + ["--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                                       f"http://localhost{path}"], capture_output=True, timeout=20)
            assert p.stdout == b"403", (path, p)
        p = subprocess.run(curl + ["-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
                                   "http://localhost/sub/a.txt"], capture_output=True, timeout=20)
        assert p.stdout == b"405", p

        r = run_tool("sockkit", "http", "get", f"unix:{sock}", "/sub/a.txt")
        assert r.rc == 0, r
        assert r.out == (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
                         b"Connection: close\r\n\r\nalpha\n"), r
        r = run_tool("sockkit", "http", "get", f"unix:{sock}", "/nothing")
        assert r.rc == 1, r
        assert r.out.startswith(b"HTTP/1.1 404 Not Found\r\n"), r


@pytest.mark.skipif(not CURL, reason="needs curl")
def test_http_echo_over_tcp_and_malformed_requests(tmp_path):
    with Server(tmp_path, "http", "serve", "tcp:127.0.0.1:0", "--echo") as srv:
        url = f"http://127.0.0.1:{srv.port}"
        p = subprocess.run([CURL, "-s", "-d", "k=v", f"{url}/post?status=201", "-w", "%{http_code}"],
                           capture_output=True, timeout=20)
        assert p.stdout.startswith(b"POST /post?status=201\nhost: 127.0.0.1:"), p
        assert p.stdout.endswith(b"\n\nk=v201"), p
        # Malformed: a clear 400 and a close; the server goes on.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n")
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply
        assert b"Connection: close" in reply
        s.close()
        r = run_tool("sockkit", "http", "get", f"tcp:127.0.0.1:{srv.port}", "/x", "-X", "PUT", "-d", "body")
        assert r.rc == 0, r
        assert r.out.endswith(b"\r\n\r\nPUT /x\nhost: 127.0.0.1:%d\nuser-agent: sockkit\naccept: */*\n"
                              b"content-type: application/x-www-form-urlencoded\ncontent-length: 4\n"
                              b"connection: close\n\nbody" % srv.port), r


# --- WebSocket -----------------------------------------------------------------------------

try:
    import asyncio

    import websockets
except ImportError:
    websockets = None
CHROMIUM = shutil.which("chromium")


class Browser:
    """Headless chromium driven over the DevTools protocol on a pair of pipes
    (--remote-debugging-pipe: it reads commands from its fd 3 and answers on its fd 4, each
    message JSON ended by a NUL).  The test waits in real time for what the page shows,
    where --dump-dom with a virtual-time budget gave up on slow loads (net::ERR_ABORTED)."""

    def __init__(self, profile: Path):
        to_chromium, self._commands = os.pipe()
        self._answers, from_chromium = os.pipe()
        self._err = open(profile.parent / "chromium.err", "wb")
        # A profile of its own: another chromium (or one left behind) must not hold its lock.
        # No background networking, QUIC, first-run or component updates: on a machine with no
        # way out, chromium's own connections fail.
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        self.pid = os.posix_spawn(CHROMIUM, argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, self._err.fileno(), 1), (os.POSIX_SPAWN_DUP2, self._err.fileno(), 2),
            (os.POSIX_SPAWN_DUP2, to_chromium, 3), (os.POSIX_SPAWN_DUP2, from_chromium, 4)])
        os.close(to_chromium)
        os.close(from_chromium)
        self._next_id = 0
        self._pending = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.call("Browser.close")
        except (OSError, AssertionError):
            pass
        finally:
            os.close(self._commands)
            os.close(self._answers)
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                time.sleep(2)
                if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            self._err.close()

    def call(self, method: str, session: str | None = None, timeout: float = 60, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            while b"\0" not in self._pending:
                left = end - time.monotonic()
                assert left > 0 and select.select([self._answers], [], [], left)[0], \
                    f"chromium did not answer {method} within {timeout} s: " + self.errors()
                chunk = os.read(self._answers, 65536)
                assert chunk, "chromium closed its DevTools pipe: " + self.errors()
                self._pending += chunk
            raw, self._pending = self._pending.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, (method, answer["error"])
                return answer["result"]

    def open(self, url: str) -> str:
        """Opens url in a new page and returns the DevTools session attached to it.  The page
        starts blank and is navigated once attached, so that a URL chromium cannot load is an
        error here (a target created with it stays blank, and the test waited in vain)."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        navigated = self.call("Page.navigate", session=session, url=url)
        assert "errorText" not in navigated, (url, navigated)
        return session

    def wait_for(self, page: str, condition: str, then: str, timeout: float = 60):
        """Evaluates the JavaScript condition in the page until it is true, then returns then's value."""
        end = time.monotonic() + timeout
        while not self.evaluate(page, condition):
            assert time.monotonic() < end, f"the page did not show {condition!r} within {timeout} s: " + \
                repr(self.evaluate(page, "document.documentElement.outerHTML"))
            time.sleep(0.1)
        return self.evaluate(page, then)

    def evaluate(self, page: str, expression: str):
        return self.call("Runtime.evaluate", session=page, expression=expression, returnByValue=True)["result"].get("value")

    def errors(self) -> str:
        self._err.flush()
        return Path(self._err.name).read_bytes()[-3000:].decode(errors="replace")


def ws_raw(port: int) -> socket.socket:
    """A TCP connection to port that has done the WebSocket handshake by hand."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = read_until(s, b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
    return s


def close_frame_of(s: socket.socket) -> tuple[int, bytes]:
    data = read_until(s, b"\x88")
    data = data[data.index(b"\x88"):]
    while len(data) < 2 or len(data) < 2 + data[1]:
        data += s.recv(4096)
    payload = data[2:2 + data[1]]
    return int.from_bytes(payload[:2], "big"), payload[2:]


def masked(b0: int, payload: bytes) -> bytes:
    key = b"\x0a\x0b\x0c\x0d"
    assert len(payload) < 126
    return bytes([b0, 0x80 | len(payload)]) + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


@pytest.mark.skipif(websockets is None, reason="needs python3-websockets")
def test_ws_echo_with_python_websockets(tmp_path):
    with Server(tmp_path, "ws", "serve", "tcp:127.0.0.1:0", "--max-frame", "64K") as srv:
        url = f"ws://127.0.0.1:{srv.port}/"

        async def talk():
            async with websockets.connect(url) as ws:
                await ws.send("héllo wörld")
                assert await ws.recv() == "héllo wörld"
                await ws.send(b"\x00\xffbinary")
                assert await ws.recv() == b"\x00\xffbinary"
                # A fragmented message comes back whole.
                await ws.send(["one ", "two ", "three"])
                assert await ws.recv() == "one two three"
                await (await ws.ping(b"are you there"))
                await ws.close(code=4000, reason="done here")
            # The server answers a close with the client's code.
            assert ws.close_code == 4000
            async with websockets.connect(url, max_size=None) as ws:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.send("x" * (65537))
                    await ws.recv()
                assert closed.value.rcvd.code == 1009
                assert "over the limit of 65536" in closed.value.rcvd.reason

        asyncio.run(asyncio.wait_for(talk(), 30))


def test_ws_protocol_violations_get_close_codes_and_the_server_goes_on(tmp_path):
    with Server(tmp_path, "ws", "serve", "tcp:127.0.0.1:0") as srv:
        cases = [
            (bytes([0x81, 0x01]) + b"x", 1002, b"an unmasked frame from a client"),
            (bytes([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), 1002, b"a frame length of 2^63 or more"),
            (masked(0x81, b"\xc3\x28"), 1007, b"a text message that is not UTF-8"),
            (masked(0x80, b"x"), 1002, b"a continuation frame without a message to continue"),
            (masked(0x88, b"\x03\xed"), 1002, b"close code 1005 is not one an endpoint may send"),
        ]
        for frame, code, reason in cases:
            s = ws_raw(srv.port)
            s.sendall(frame)
            assert close_frame_of(s) == (code, reason)
            s.close()
        # The handshake's own errors.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        head = read_until(s, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 426 "), head
        assert b"Sec-WebSocket-Version: 13\r\n" in head
        s.close()
        # Still echoing.
        s = ws_raw(srv.port)
        s.sendall(masked(0x81, b"still here"))
        assert read_until(s, b"still here") == b"\x81\x0astill here"
        s.sendall(masked(0x88, b"\x03\xe8"))
        assert close_frame_of(s) == (1000, b"")
        if CURL:
            p = subprocess.run([CURL, "-s", f"http://127.0.0.1:{srv.port}/"], capture_output=True, timeout=20)
            assert b"<title>sockkit chat</title>" in p.stdout, p


def test_ws_chat_name_in_the_query_joins_at_once(tmp_path):
    """A browser's first line may come after the guest grace on a loaded machine: the name in the
    upgrade request's query makes the join not wait for it."""
    with Server(tmp_path, "chat", "serve", f"unix:{tmp_path / 'chat.sock'}", "--ws", "tcp:127.0.0.1:0") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        start = time.monotonic()
        s.sendall(b"GET /?name=web%2D1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        got = read_until(s, b"here: web-1")
        assert got.endswith(b"\r\n\r\n\x81\x1c* you are web-1; here: web-1"), got
        assert time.monotonic() - start < 0.9  # well inside the second of grace a silent client gets
        s.close()


@pytest.mark.skipif(not CHROMIUM, reason="needs chromium")
def test_ws_chat_browser_and_terminal_talk_together(tmp_path):
    sock = tmp_path / "chat.sock"
    with Server(tmp_path, "chat", "serve", f"unix:{sock}", "--ws", "tcp:127.0.0.1:0") as srv:
        term = subprocess.Popen([os.fspath(tool_path("sockkit")), "chat", "join", f"unix:{sock}", "--name", "term"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=tool_env())
        try:
            assert term.stdout.readline() == b"* you are term; here: term\n"
            term.stdin.write(b"hi from the terminal\n")
            term.stdin.flush()
            time.sleep(0.2)
            with Browser(tmp_path / "chromium") as browser:
                page = browser.open(f"http://127.0.0.1:{srv.port}/?name=web&say=hello%20terminal")
                dom = browser.wait_for(page, "document.querySelectorAll('#log li').length >= 3 && "
                                             "document.getElementById('status').textContent == 'connected'",
                                       "document.getElementById('log').outerHTML")
            assert dom == ('<ol id="log"><li class="own">me: hello terminal</li><li>term: hi from the terminal</li>'
                           '<li class="note">* you are web; here: term, web</li></ol>'), dom
            out = b"".join(term.stdout.readline() for _ in range(3))
            assert re.fullmatch(rb"\* web joined \(127\.0\.0\.1:\d+\)\nweb: hello terminal\n\* web left\n", out), out
            term.stdin.close()
            assert term.wait(timeout=10) == 0
        finally:
            term.kill()
            term.wait()


# --- UDP -----------------------------------------------------------------------------------

def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_recv(tmp_path, port, out, *extra):
    err = open(tmp_path / f"recv-{time.monotonic_ns()}.err", "wb")
    p = subprocess.Popen([os.fspath(tool_path("sockkit")), "udp", "recv", f"udp:127.0.0.1:{port}", os.fspath(out),
                          *extra], stdout=subprocess.PIPE, stderr=err, env=tool_env())
    # The receiver is ready once its port is taken.
    def bound():
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True
        finally:
            probe.close()
    wait_until(bound, what="udp recv bound")
    return p, err


@pytest.mark.parametrize("loss", ["0", "0.2", "0.5"])
def test_udp_transfer_is_byte_identical_under_loss(tmp_path, loss):
    src = tmp_path / "src"
    src.write_bytes(os.urandom((2 << 20) + 123))
    out = tmp_path / "out"
    port = free_udp_port()
    recv, err = start_recv(tmp_path, port, out, "--loss", loss)
    r = run_tool("sockkit", "udp", "send", src, f"udp:127.0.0.1:{port}", "--loss", loss, "--chunk", "8K", timeout=120)
    assert r.rc == 0, r
    assert re.match(rb".*: 2097275 bytes in [\d.]+ s \([\d.]+ MB/s\), 257 chunks, \d+ resent, sha256 [0-9a-f]{64}\n",
                    r.out), r
    assert recv.wait(timeout=30) == 0, (tmp_path / err.name).read_text()
    assert out.read_bytes() == src.read_bytes()
    assert not (tmp_path / "out.part").exists() and not (tmp_path / "out.part.state").exists()
    if loss != "0":
        assert int(re.search(rb"(\d+) resent", r.out).group(1)) > 0


def test_udp_receiver_restarted_midway_resumes(tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(1 << 20))
    out = tmp_path / "out"
    port = free_udp_port()
    recv, err = start_recv(tmp_path, port, out)
    # Tiny chunks and window, so that the receiver's first state comes long before the end.
    send = subprocess.Popen([os.fspath(tool_path("sockkit")), "udp", "send", os.fspath(src), f"udp:127.0.0.1:{port}",
                             "--chunk", "16", "--window", "1", "--timeout", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env())
    try:
        # Once the first chunk is in out.part (made at its full size, zeros until written), the
        # sender is held (SIGSTOP) while the receiver is stopped, keeping what it has, and
        # restarted: the transfer is midway whatever the speed of either end.
        def first_chunk_in():
            try:
                with open(tmp_path / "out.part", "rb") as f:
                    return f.read(16) == src.read_bytes()[:16]
            except FileNotFoundError:
                return False
        wait_until(lambda: first_chunk_in() or recv.poll() is not None, timeout=30, what="the first chunk")
        send.send_signal(signal.SIGSTOP)
        assert recv.poll() is None
        recv.send_signal(signal.SIGTERM)
        assert recv.wait(timeout=10) == 2
        text = Path(err.name).read_text()
        assert re.search(r"interrupted; \d+ of 65536 chunks kept in .*/out\.part to resume", text), text
        assert not out.exists()
        recv, err = start_recv(tmp_path, port, out)
        send.send_signal(signal.SIGCONT)
        assert send.wait(timeout=60) == 0, send.stderr.read()
        assert recv.wait(timeout=30) == 0
    finally:
        send.kill()
        send.wait()
    assert re.search(r"resuming with \d+ of 65536 chunks", Path(err.name).read_text())
    assert out.read_bytes() == src.read_bytes()


def test_udp_foreign_and_forged_datagrams_change_nothing(tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(1 << 20))
    out = tmp_path / "out"
    port = free_udp_port()
    recv, err = start_recv(tmp_path, port, out)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Garbage, then data for a transfer the receiver never saw: it asks for a hello (reset).
    s.sendto(b"not ours at all", ("127.0.0.1", port))
    s.sendto(b"SKU\x01\x02\0\0\0" + (42).to_bytes(8, "big") + (0).to_bytes(4, "big") + b"x" * 100, ("127.0.0.1", port))
    s.settimeout(5)
    reply, _ = s.recvfrom(100)
    assert reply == b"SKU\x01\x05\0\0\0" + (42).to_bytes(8, "big")
    r = run_tool("sockkit", "udp", "send", src, f"udp:127.0.0.1:{port}", timeout=60)
    assert r.rc == 0, r
    assert recv.wait(timeout=30) == 0
    assert out.read_bytes() == src.read_bytes()
    # Nobody listening: a clear failure, no file.
    r = run_tool("sockkit", "udp", "send", src, f"udp:127.0.0.1:{free_udp_port()}", "--timeout", "1")
    assert r.rc == 2, r
    assert r.err_lines()[-1].endswith("no answer from the receiver for 1 s; 0 of 749 chunks acknowledged"), r


def test_bench_prints_unix_against_tcp():
    r = run_tool("sockkit", "bench", "--count", "200", "--bytes", "8M")
    assert r.rc == 0, r
    lines = r.text.splitlines()
    assert lines[0].split() == ["transport", "p50_us", "p99_us", "MB/s"], r
    assert re.fullmatch(r"unix +[\d.]+ +[\d.]+ +[\d.]+", lines[1]), r
    assert re.fullmatch(r"tcp +[\d.]+ +[\d.]+ +[\d.]+", lines[2]), r
    assert re.fullmatch(r"unix/tcp: latency p50 [\d.]+x lower, throughput [\d.]+x higher \(200 round trips of 64 "
                        r"bytes, 8388608 bytes in bulk\)", lines[3]), r

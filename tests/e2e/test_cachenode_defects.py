"""End-to-end tests of cachenode under abuse: clients that do not read their replies, too few
file descriptors, a stop while replies are stuck, multi-key commands racing across threads,
memory charged for TTLs."""
import re
import resource
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import tool_env, tool_path, unread_bytes, wait_until
from test_cachenode import (Node, cpu_seconds, free_port, recv_all, recv_until, resp_command, rss_kib,  # noqa: F401
                            start)


def read_replies(s: socket.socket, n: int) -> list[bytes]:
    """n replies that are each one line or one bulk string or an array of bulk strings."""
    f = s.makefile("rb")
    out = []
    for _ in range(n):
        out.append(read_reply(f))
    return out


def read_reply(f):
    line = f.readline()
    if not line:
        raise EOFError
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    return line[:-2]


def test_mget_is_atomic_against_mset(start):
    # Enough shards that the two keys almost surely live in different ones, and several
    # connections so that the two threads both serve some.
    n = start("--threads", "2", "--max-memory", "64M", "--max-value", "1K")
    stop = threading.Event()
    keys = [f"k{i}" for i in range(8)]

    def writer():
        s = n.connect()
        i = 0
        while not stop.is_set():
            batch = b""
            for j in range(50):
                v = str(i + j)
                batch += resp_command("MSET", *sum(([k, v] for k in keys), []))
            s.sendall(batch)
            recv_until(s, 50)
            i += 50
        s.close()

    mixed = []

    def reader():
        s = n.connect()
        f = s.makefile("rb")
        end = time.monotonic() + 2
        while time.monotonic() < end:
            s.sendall(resp_command("MGET", *keys) * 50)
            for _ in range(50):
                r = read_reply(f)
                if len(set(r)) != 1:
                    mixed.append(r)
        s.close()

    writers = [threading.Thread(target=writer) for _ in range(3)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in writers + readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    for t in writers:
        t.join()
    assert mixed == []


def test_unread_pipeline_pauses_instead_of_buffering(start):
    n = start("--max-memory", "64M")
    assert n.cli("SET", "big", "x" * 100_000) == "OK"
    base = rss_kib(n.proc.pid)
    s = n.connect()
    s.sendall(resp_command("GET", "big") * 2000)  # 200 MB of replies, none read yet
    time.sleep(1)
    grown = rss_kib(n.proc.pid) - base
    assert grown < 20_000, grown
    # Reading now brings every reply, in order: the pipeline resumed as it drained.
    f = s.makefile("rb")
    for _ in range(2000):
        assert read_reply(f) == b"x" * 100_000
    s.sendall(b"PING\r\n")
    assert read_reply(f) == b"+PONG"
    s.close()


def test_client_output_buffer_limit_closes_a_client_that_does_not_read(start):
    n = start("--max-memory", "64M")
    assert n.cli("CONFIG", "GET", "client-output-buffer-limit") == "client-output-buffer-limit\nnormal 0 0 0"
    assert n.cli("CONFIG", "SET", "client-output-buffer-limit", "normal 2mb 1mb 1") == "OK"
    assert n.cli("CONFIG", "GET", "client-output-buffer-limit") == "client-output-buffer-limit\nnormal 2097152 1048576 1"
    assert n.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 1 1").startswith("ERR ")
    assert n.cli("SET", "big", "x" * 100_000) == "OK"
    for limits in ("normal 512kb 0 0", "normal 0 512kb 1"):
        assert n.cli("CONFIG", "SET", "client-output-buffer-limit", limits) == "OK"
        s = n.connect()
        s.sendall(resp_command("GET", "big") * 2000)
        # Closed by the server once over the limit (at once, or after a second over the soft
        # one): only redis-cli's own connection is left.  Reading earlier would drain the buffer.
        wait_until(lambda: "connected_clients:1\r" in n.cli("INFO", "clients"), timeout=20,
                   what="the client closed")
        got = recv_all(s, timeout=5)  # what the kernel had buffered, then the close
        assert len(got) < 2000 * 100_000, limits
        s.close()
    assert n.cli("PING") == "PONG"


def test_sigterm_with_a_client_that_does_not_read_ends_after_the_grace(start):
    n = start("--max-memory", "64M", "--shutdown-timeout", "1")
    assert n.cli("SET", "big", "x" * 100_000) == "OK"
    s = n.connect()
    s.sendall(resp_command("GET", "big") * 500)
    # Once replies reach the client the server holds more than the socket takes (50 MB).
    wait_until(lambda: unread_bytes(s.fileno()) > 0, what="the first reply")
    t = time.monotonic()
    r = n.stop(timeout=8)
    assert r.rc == 0, r
    assert 0.8 < time.monotonic() - t < 5
    s.close()


def test_few_descriptors_clamp_max_clients_and_reject_the_rest(tmp_path):
    port = free_port()
    err = open(tmp_path / "err", "wb")

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    proc = subprocess.Popen([str(tool_path("cachenode")), "--port", str(port), "--http-port", "0", "--threads", "2"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=tool_env(None),
                            preexec_fn=limit)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
        clients = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"PING\r\n")
            clients.append(s)
        replies = []
        for s in clients:
            try:
                replies.append(s.recv(100))
            except OSError:
                replies.append(b"")
        assert replies.count(b"+PONG\r\n") >= 60
        assert replies.count(b"+PONG\r\n") + replies.count(b"-ERR max number of clients reached\r\n") == 200
        before = cpu_seconds(proc.pid)
        time.sleep(1)
        assert cpu_seconds(proc.pid) - before < 0.3
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        for s in clients:
            s.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.close()
    text = (tmp_path / "err").read_text()
    assert "max-clients reduced to fit the open files limit" in text and "open_files_limit=128" in text, text


def http_status(port: int, raw: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        head = recv_until(s, 1)
    return int(head.split(b" ")[1])


@pytest.mark.parametrize("raw,status", [
    (b"GET /healthz HTTP/1.1\r\nHost : x\r\nConnection: close\r\n\r\n", 400),
    (b"PUT /v1/keys/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"
     b"1\r\nx\r\n0\r\n\r\n", 501),
    (b"PUT /v1/keys/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"5\r\nhelloXX0\r\n\r\n", 400),
    (b"PUT /v1/keys/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", 204),
    (b"GET http://localhost/healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 200),
])
def test_http_strictness(start, raw, status):
    n = start()
    assert http_status(n.http_port, raw) == status


def test_expire_on_a_full_cache_stays_under_the_limit(start):
    n = start("--max-memory", "1M", "--max-value", "4K")
    s = n.connect()
    s.sendall(b"".join(resp_command("SET", f"k{i}", "v" * 100) for i in range(20000)))
    recv_until(s, 20000)
    s.sendall(b"".join(resp_command("EXPIRE", f"k{i}", 1000) for i in range(20000)))
    recv_until(s, 20000)
    s.close()
    used = int(re.search(r"used_memory:(\d+)", n.cli("INFO", "memory")).group(1))
    assert used <= 1 << 20


def test_defects_in_replies(start):
    n = start()
    assert n.cli("SET", "k", "v") == "OK"
    assert n.cli("PEXPIRE", "k", "-9223372036854775808") == "1"
    assert n.cli("EXISTS", "k") == "0"
    assert n.cli("DECRBY", "n", "-9223372036854775808") == "ERR decrement would overflow"
    info = n.cli("COMMAND", "INFO", "get").split("\n")
    assert info[:6] == ["get", "2", "readonly", "fast", "1", "1"]

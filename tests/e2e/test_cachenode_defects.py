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

from test_cachenode import Node, recv_all, recv_until, resp_command, rss_kib, start  # noqa: F401


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

"""End-to-end tests of cachenode's command families beyond what the differential test
(test_cachenode_differential.py) compares with Redis: what needs two clients or time."""
import threading
import time

from test_cachenode import resp_command, start  # noqa: F401
from test_cachenode_differential import Client


def test_watch_aborts_exec_when_another_client_writes(start):
    n = start("--threads", "2")
    a, b = Client(n.port), Client(n.port)
    assert a.call("WATCH", "x") == b"+OK"
    assert b.call("SET", "x", "1") == b"+OK"
    assert a.call("MULTI") == b"+OK"
    assert a.call("SET", "y", "1") == b"+QUEUED"
    assert a.call("EXEC") is None
    assert a.call("EXISTS", "y") == 0
    # Not touched: EXEC runs.
    assert a.call("WATCH", "x") == b"+OK"
    assert a.call("MULTI") == b"+OK"
    assert a.call("INCR", "x") == b"+QUEUED"
    assert a.call("EXEC") == [2]
    # A watched key that expires meanwhile aborts too.
    assert a.call("SET", "t", "v", "PX", "50") == b"+OK"
    assert a.call("WATCH", "t") == b"+OK"
    time.sleep(0.1)
    assert a.call("MULTI") == b"+OK"
    assert a.call("PING") == b"+QUEUED"
    assert a.call("EXEC") is None
    # Queued errors abort the whole transaction.
    assert a.call("MULTI") == b"+OK"
    assert a.call("SET", "z") == b"-ERR wrong number of arguments for 'set' command"
    assert a.call("SET", "z", "1") == b"+QUEUED"
    assert a.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors."
    assert a.call("EXISTS", "z") == 0
    assert a.call("EXEC") == b"-ERR EXEC without MULTI"


def test_exec_is_atomic_across_threads(start):
    n = start("--threads", "2", "--max-memory", "64M", "--max-value", "1K")
    stop = threading.Event()
    keys = [f"k{i}" for i in range(8)]

    def writer():
        c = Client(n.port)
        while not stop.is_set():
            c.call("MULTI")
            for k in keys:
                c.call("INCR", k)
            c.call("EXEC")

    ws = [threading.Thread(target=writer) for _ in range(2)]
    for t in ws:
        t.start()
    r = Client(n.port)
    mixed = 0
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        r.call("MULTI")
        for k in keys:
            r.call("GET", k)
        if len(set(r.call("EXEC"))) != 1:
            mixed += 1
    stop.set()
    for t in ws:
        t.join()
    assert mixed == 0


def test_inline_commands_with_quotes(start):
    n = start()
    s = n.connect()
    s.sendall(b'set "a b" c\r\nget "a b"\r\nset \'it\\\'s\' "x\\x41\\n"\r\nget "it\'s"\r\n')
    f = s.makefile("rb")
    assert [f.readline() for _ in range(5)] == [b"+OK\r\n", b"$1\r\n", b"c\r\n", b"+OK\r\n", b"$3\r\n"]
    assert f.read(5) == b"xA\n\r\n"
    s.sendall(b'set x "unbalanced\r\n')
    assert f.readline() == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert f.readline() == b""  # and closed
    s.close()


def test_hello_and_client(start):
    n = start("--requirepass", "secret")
    c = Client(n.port)
    assert c.call("HELLO", "2").startswith(b"-NOAUTH HELLO must be called")
    reply = c.call("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "app")
    assert dict(zip(reply[::2], reply[1::2]))[b"proto"] == 2
    assert c.call("HELLO", "3") == b"-NOPROTO unsupported protocol version"
    assert c.call("CLIENT", "GETNAME") == b"app"
    assert c.call("CLIENT", "SETNAME", "a b").startswith(b"-ERR Client names cannot contain spaces")
    other = Client(n.port)
    assert other.call("AUTH", "secret") == b"+OK"
    assert other.call("CLIENT", "ID") != c.call("CLIENT", "ID")
    c.s.sendall(resp_command("CLIENT", "REPLY", "SKIP") + resp_command("SET", "k", "1") + resp_command("GET", "k"))
    assert c.read() == b"1"
    c.s.sendall(resp_command("CLIENT", "REPLY", "OFF") + resp_command("SET", "k", "2") +
                resp_command("CLIENT", "REPLY", "ON") + resp_command("GET", "k"))
    assert c.read() == b"+OK"
    assert c.read() == b"2"


def test_server_commands_tools_send(start):
    n = start()
    c = Client(n.port)
    secs, usecs = c.call("TIME")
    assert abs(int(secs) - time.time()) < 5 and 0 <= int(usecs) < 1_000_000
    assert abs(c.call("LASTSAVE") - time.time()) < 30
    assert c.call("SWAPDB", "0", "1").startswith(b"-ERR SWAPDB is not supported")
    assert c.call("FUNCTION", "FLUSH") == b"+OK"
    info = c.call("INFO", "persistence") + c.call("INFO", "cpu")
    assert b"aof_enabled:0" in info and b"used_cpu_user:" in info
    assert c.call("CLIENT", "SETNAME", "x") == b"+OK"
    assert c.call("MULTI") == b"+OK"
    assert c.call("RESET") == b"+RESET"
    assert c.call("CLIENT", "GETNAME") is None
    assert c.call("EXEC") == b"-ERR EXEC without MULTI"


def test_keys_with_a_pathological_pattern_is_quick(start):
    n = start()
    c = Client(n.port)
    assert c.call("SET", "a" * 50, "v") == b"+OK"
    t = time.monotonic()
    assert c.call("KEYS", "a*" * 30 + "b") == []
    assert c.call("KEYS", "a*" * 30) == [b"a" * 50]
    assert time.monotonic() - t < 2

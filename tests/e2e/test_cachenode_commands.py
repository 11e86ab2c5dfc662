"""End-to-end tests of cachenode's command families beyond what the differential test
(test_cachenode_differential.py) compares with Redis: what needs two clients or time."""
import socket
import threading
import time

import pytest

from test_cachenode import recv_all, resp_command, start  # noqa: F401
from test_cachenode_differential import REDIS_SERVER, Client, redis  # noqa: F401


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
    # A watched key that expires meanwhile aborts too.  The key must still be there when
    # WATCH runs: both go in one write, and a run whose replies took longer than the key's
    # 200 ms (load) may have watched a key already gone, which EXEC may or may not count.
    t = time.monotonic()
    a.s.sendall(resp_command("SET", "t", "v", "PX", "200") + resp_command("WATCH", "t"))
    assert [a.read(), a.read()] == [b"+OK", b"+OK"]
    watched_live = time.monotonic() - t < 0.2
    time.sleep(0.3)
    assert a.call("MULTI") == b"+OK"
    assert a.call("PING") == b"+QUEUED"
    assert a.call("EXEC") is None or not watched_live
    # A hash changed by another client aborts too.
    assert a.call("HSET", "hw", "f", "1") == 1
    assert a.call("WATCH", "hw") == b"+OK"
    assert b.call("HSET", "hw", "f", "2") == 0
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
    assert c.call("HELLO", "4") == b"-NOPROTO unsupported protocol version"
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


def reply_end(buf: bytes, i: int = 0) -> int | None:
    """Where the RESP2 or RESP3 reply starting at buf[i] ends, or None when buf holds only
    part of it."""
    eol = buf.find(b"\r\n", i)
    if eol < 0:
        return None
    kind, head, i = buf[i:i + 1], buf[i + 1:eol], eol + 2
    if kind in b"$!=":  # blob string, blob error, verbatim string: a length, then the bytes
        n = int(head)
        if n < 0:
            return i
        return i + n + 2 if len(buf) >= i + n + 2 else None
    if kind in b"*~>%|":  # array, set, push; map and attribute hold pairs
        n = int(head)
        for _ in range(max(n, 0) * (2 if kind in b"%|" else 1)):
            i = reply_end(buf, i)
            if i is None:
                return None
        return i
    return i  # a simple string, error, integer, null, boolean, double or big number


def raw(c, *args):
    """Sends one command and returns the bytes of its one reply, as they came (RESP2 or
    RESP3): read until the reply is whole, as the server may send it in several pieces."""
    c.s.sendall(resp_command(*args))
    data = b""
    while reply_end(data) is None:
        chunk = c.s.recv(65536)
        assert chunk, f"the connection closed after {data!r}"
        data += chunk
    return data


def test_hello_3_switches_the_connection_to_resp3(start):
    n = start()
    c = Client(n.port)
    c.s.settimeout(5)
    hello = raw(c, "HELLO", "3", "SETNAME", "r3")
    assert hello.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
    assert b"$5\r\nproto\r\n:3\r\n" in hello
    assert raw(c, "GET", "missing") == b"_\r\n"
    assert raw(c, "HSET", "h", "f", "v") == b":1\r\n"
    assert raw(c, "HGETALL", "h") == b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert raw(c, "HRANDFIELD", "h", "1", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert raw(c, "CONFIG", "GET", "maxmemory-policy") == b"%1\r\n$16\r\nmaxmemory-policy\r\n$5\r\nsieve\r\n"
    assert raw(c, "INFO", "persistence").startswith(b"=")
    assert raw(c, "COMMAND", "INFO", "nosuch") == b"*1\r\n_\r\n"
    assert raw(c, "RESET") == b"+RESET\r\n"
    # RESET goes back to RESP2.
    assert raw(c, "GET", "missing") == b"$-1\r\n"
    assert raw(c, "HGETALL", "h") == b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"


def test_hashes_count_in_the_memory_limit_and_leave_whole(start):
    n = start("--max-memory", "4M", "--max-value", "64K", "--threads", "1")
    c = Client(n.port)
    value = "v" * 200
    for k in range(300):
        c.s.sendall(b"".join(resp_command("HSET", f"h{k}", f"f{i}", value) for i in range(50)))
        for _ in range(50):
            assert c.read() in (0, 1)
    info = dict(line.split(b":", 1) for line in c.call("INFO", "memory").split(b"\r\n")[1:] if b":" in line)
    assert int(info[b"used_memory"]) <= 4 * 1024 * 1024
    stats = c.call("INFO", "stats")
    assert int(stats.split(b"evicted_keys:")[1].split(b"\r\n")[0]) > 0
    kept = c.call("KEYS", "*")
    assert 0 < len(kept) < 300
    for key in kept:
        assert c.call("HLEN", key) == 50  # evicted whole, never in part
    assert c.call("TYPE", kept[0]) == b"+hash"
    assert c.call("GET", kept[0]) == b"-WRONGTYPE Operation against a key holding the wrong kind of value"
    assert c.call("MEMORY", "USAGE", kept[0]) > 50 * 200


def test_dump_and_restore(start):
    n = start()
    c = Client(n.port)
    assert c.call("HSET", "h", "a", "1", "b", "2") == 2
    assert c.call("SET", "s", "x" * 100) == b"+OK"
    hash_payload, string_payload = c.call("DUMP", "h"), c.call("DUMP", "s")
    assert hash_payload.startswith(b"CN\x01\x01")
    assert c.call("DUMP", "missing") is None
    assert c.call("RESTORE", "h", "0", hash_payload) == b"-BUSYKEY Target key name already exists."
    assert c.call("RESTORE", "h2", "5000", hash_payload) == b"+OK"
    assert sorted(c.call("HGETALL", "h2")) == sorted([b"a", b"1", b"b", b"2"])
    assert 4000 < c.call("PTTL", "h2") <= 5000
    assert c.call("RESTORE", "s", "0", string_payload, "REPLACE") == b"+OK"
    assert c.call("GET", "s") == b"x" * 100
    damaged = string_payload[:-1] + bytes([string_payload[-1] ^ 1])
    assert c.call("RESTORE", "t", "0", damaged) == b"-ERR DUMP payload version or checksum are wrong"
    assert c.call("RESTORE", "t", "-1", string_payload) == b"-ERR Invalid TTL value, must be >= 0"
    assert c.call("RESTORE", "t", "1", string_payload, "ABSTTL") == b"+OK"  # long past: not restored
    assert c.call("EXISTS", "t") == 0


def test_introspection_commands(start):
    n = start("--eviction", "s3fifo")
    c = Client(n.port)
    assert c.call("SET", "n", "12345") == b"+OK"
    assert c.call("SET", "short", "abc") == b"+OK"
    assert c.call("SET", "long", "x" * 45) == b"+OK"
    assert [c.call("OBJECT", "ENCODING", k) for k in ("n", "short", "long")] == [b"int", b"embstr", b"raw"]
    assert c.call("HSET", "h", "f", "v") == 1
    assert c.call("OBJECT", "ENCODING", "h") == b"listpack"
    assert c.call("HSET", "h", "big", "y" * 65) == 1
    assert c.call("OBJECT", "ENCODING", "h") == b"hashtable"
    assert c.call("OBJECT", "REFCOUNT", "n") == 1
    assert 0 <= c.call("OBJECT", "FREQ", "n") <= 3
    assert c.call("SET", "k1", "ohmytext") == b"+OK"
    assert c.call("SET", "k2", "mynewtext") == b"+OK"
    assert c.call("LCS", "k1", "k2") == b"mytext"
    assert c.call("LCS", "k1", "k2", "LEN") == 6
    assert c.call("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    # Per-command counters, the slow log and their reset.
    assert c.call("CONFIG", "RESETSTAT") == b"+OK"
    c.call("GET", "n")
    c.call("GET", "n")
    c.call("INCR", "short")
    stats = c.call("INFO", "commandstats")
    assert b"cmdstat_get:calls=2," in stats
    assert b"cmdstat_incr:calls=1," in stats and b"failed_calls=1" in stats
    assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK"
    assert c.call("SLOWLOG", "RESET") == b"+OK"
    c.call("ECHO", "slow?")
    entry = c.call("SLOWLOG", "GET", "1")[0]
    assert entry[3] == [b"ECHO", b"slow?"]
    assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1") == b"+OK"
    assert c.call("CONFIG", "SET", "port", "1") .startswith(b"-ERR CONFIG SET failed (possibly related to argument 'port')")
    assert c.call("LATENCY", "LATEST") == []


def test_object_idletime_grows_until_a_read_or_write(start):
    n = start()
    c = Client(n.port)
    assert c.call("SET", "k", "v") == b"+OK"
    assert c.call("HSET", "h", "f", "1") == 1
    assert c.call("SET", "w", "1") == b"+OK"
    assert c.call("SET", "r", "v") == b"+OK"
    assert c.call("RESTORE", "old", "0", c.call("DUMP", "k"), "IDLETIME", "86400") == b"+OK"
    assert c.call("OBJECT", "IDLETIME", "k") <= 1
    time.sleep(2.2)
    # Looking is not using: TTL, TYPE, EXISTS, OBJECT, MEMORY USAGE, WATCH, SCAN leave it.
    for cmd in (("TTL", "k"), ("PTTL", "k"), ("TYPE", "k"), ("EXISTS", "k"), ("OBJECT", "ENCODING", "k"),
                ("MEMORY", "USAGE", "k"), ("WATCH", "k"), ("UNWATCH",), ("SCAN", "0"), ("EXPIRETIME", "k")):
        c.call(*cmd)
    assert 2 <= c.call("OBJECT", "IDLETIME", "k") <= 10
    # Reads and writes use the key, TOUCH included.
    assert c.call("GET", "k") == b"v"
    assert c.call("HGET", "h", "f") == b"1"
    assert c.call("INCR", "w") == 2
    assert c.call("TOUCH", "r") == 1
    assert [c.call("OBJECT", "IDLETIME", k) <= 1 for k in ("k", "h", "w", "r")] == [True] * 4
    assert 86402 <= c.call("OBJECT", "IDLETIME", "old") <= 86410
    assert c.call("OBJECT", "IDLETIME", "missing") is None
    # s3fifo counts accesses instead, and IDLETIME is refused as Redis refuses it under LFU;
    # the access times are kept all along, so switching back answers at once.
    assert c.call("CONFIG", "SET", "maxmemory-policy", "s3fifo") == b"+OK"
    assert c.call("OBJECT", "IDLETIME", "old").startswith(b"-ERR An LFU maxmemory policy is selected")
    assert 0 <= c.call("OBJECT", "FREQ", "old") <= 3
    assert c.call("CONFIG", "SET", "maxmemory-policy", "lru") == b"+OK"
    assert c.call("OBJECT", "IDLETIME", "old") >= 86400


def test_absolute_deadlines_come_back_as_they_were_set(start):
    # Deadlines are kept on the monotonic clock: PXAT's converts there and back by one offset,
    # not by two readings of the clocks a few milliseconds apart.
    n = start()
    c = Client(n.port)
    base = int(time.time() * 1000) + 100000
    for i in range(300):
        assert c.call("SET", "k", "v", "PXAT", str(base + i)) == b"+OK"
        assert c.call("PEXPIRETIME", "k") == base + i
        assert c.call("EXPIREAT", "k", str(base // 1000 + i)) == 1
        assert c.call("EXPIRETIME", "k") == base // 1000 + i


def test_config_set_maxmemory_evicts_at_once(start):
    n = start("--max-memory", "8M", "--threads", "1")
    c = Client(n.port)
    c.s.sendall(b"".join(resp_command("SET", f"k{i}", "v" * 1000) for i in range(5000)))
    for _ in range(5000):
        c.read()
    assert c.call("CONFIG", "SET", "maxmemory", "1mb") == b"+OK"
    info = c.call("INFO", "memory")
    assert int(info.split(b"used_memory:")[1].split(b"\r\n")[0]) <= 1024 * 1024
    assert c.call("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"1048576"]
    assert c.call("CONFIG", "SET", "maxmemory-policy", "lru") == b"+OK"
    assert c.call("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"lru"]
    assert c.call("SET", "after", "x") == b"+OK"
    # Below what the tables alone take: writes are refused, reads and deletions go on.
    assert c.call("CONFIG", "SET", "maxmemory", "1") == b"+OK"
    assert c.call("SET", "x", "1") == b"-OOM command not allowed when used memory > 'maxmemory'."
    assert c.call("GET", "after") is None and c.call("DEL", "x") == 0
    assert c.call("MULTI") == b"+OK"
    assert c.call("GET", "x") == b"-OOM command not allowed when used memory > 'maxmemory'."
    assert c.call("DISCARD") == b"+OK"
    assert c.call("CONFIG", "SET", "maxmemory", "0") == b"+OK"  # no limit, as in Redis
    assert c.call("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]


def test_client_list_and_kill(start):
    n = start("--threads", "2")
    a, b = Client(n.port), Client(n.port)
    assert b.call("CLIENT", "SETNAME", "victim") == b"+OK"
    listing = a.call("CLIENT", "LIST").decode()
    lines = [dict(f.split("=", 1) for f in line.split()) for line in listing.strip().split("\n")]
    victim = [line for line in lines if line["name"] == "victim"]
    assert len(victim) == 1 and victim[0]["laddr"].endswith(f":{n.port}")
    assert a.call("CLIENT", "KILL", "ID", victim[0]["id"]) == 1
    assert a.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    assert a.call("CLIENT", "KILL", "9.9.9.9:9") == b"-ERR No such client"
    # The killed connection closes by itself within about a second.
    b.s.settimeout(3)
    assert b.s.recv(100) == b""


def test_client_pause_holds_writes_or_everything_until_unpause(start):
    n = start("--threads", "2")
    a, b = Client(n.port), Client(n.port)
    assert a.call("SET", "k", "1") == b"+OK"
    assert a.call("CLIENT", "PAUSE", "20000", "WRITE") == b"+OK"
    # Reads go on; a write waits, its reply and everything after it.
    assert b.call("GET", "k") == b"1"
    b.s.sendall(resp_command("SET", "k", "2") + resp_command("GET", "k"))
    b.s.settimeout(0.3)
    try:
        got = b.s.recv(100)
    except TimeoutError:
        got = b""
    assert got == b""
    b.s.settimeout(10)
    assert a.call("GET", "k") == b"1"
    # Inside MULTI commands are queued as usual; EXEC with a write waits too.
    assert a.call("CLIENT", "UNPAUSE") == b"+OK"
    assert b.read() == b"+OK" and b.read() == b"2"
    # ALL: every command waits until the pause's end.
    assert a.call("CLIENT", "PAUSE", "400", "ALL") == b"+OK"
    t = time.monotonic()
    assert b.call("PING") == b"+PONG"
    assert time.monotonic() - t >= 0.3
    assert a.call("CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative"
    assert a.call("CLIENT", "PAUSE", "10", "READ") == b"-ERR CLIENT PAUSE mode must be WRITE or ALL"


def test_config_set_maxclients_and_timeout_apply_at_once(start):
    n = start()
    a = Client(n.port)
    assert a.call("CONFIG", "SET", "maxclients", "2") == b"+OK"
    assert a.call("CONFIG", "GET", "maxclients") == [b"maxclients", b"2"]
    b = Client(n.port)
    assert b.call("PING") == b"+PONG"
    c = n.connect()
    c.settimeout(5)
    assert c.recv(100) == b"-ERR max number of clients reached\r\n"
    assert a.call("CONFIG", "SET", "maxclients", "0").startswith(b"-ERR CONFIG SET failed")
    assert a.call("CONFIG", "SET", "maxclients", "10") == b"+OK"
    assert a.call("CONFIG", "SET", "timeout", "1") == b"+OK"
    assert a.call("CONFIG", "GET", "timeout") == [b"timeout", b"1"]
    # An idle client is closed at the next tick past a second of silence.
    idle = n.connect()
    idle.settimeout(5)
    t = time.monotonic()
    assert idle.recv(100) == b""
    assert time.monotonic() - t < 4.5


def test_command_docs_list_info_and_getkeys_agree(start):
    n = start()
    a = Client(n.port)
    count = a.call("COMMAND", "COUNT")
    infos = a.call("COMMAND")
    assert len(infos) == count
    names = {i[0] for i in infos}
    docs = a.call("COMMAND", "DOCS")
    assert {docs[i] for i in range(0, len(docs), 2)} == names
    for doc in docs[1::2]:
        fields = dict(zip(doc[::2], doc[1::2]))
        assert fields[b"summary"] and fields[b"since"] and fields[b"group"], doc
    listed = set(a.call("COMMAND", "LIST"))
    assert names <= listed
    subs = {x for x in listed if b"|" in x}
    assert {b"client|pause", b"config|set", b"command|docs", b"memory|usage"} <= subs
    # Each subcommand is described by COMMAND INFO and documented under its container.
    client = a.call("COMMAND", "INFO", "client")[0]
    assert b"client|pause" in {s[0] for s in client[9]}
    assert a.call("COMMAND", "INFO", "config|get")[0][:2] == [b"config|get", -3]
    assert a.call("COMMAND", "INFO", "get|key", "nosuch") == [None, None]
    assert a.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "hs*") == [b"hset", b"hsetnx", b"hstrlen", b"hscan"]
    assert a.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "hash")[0] == b"hset"
    assert a.call("COMMAND", "LIST", "junk") == b"-ERR syntax error"
    assert a.call("COMMAND", "GETKEYS", "MEMORY", "USAGE", "k") == [b"k"]
    assert a.call("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert a.call("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "1") == [[b"a", [b"+OW", b"+update"]]]
    assert a.call("COMMAND", "GETKEYS", "PING", "x") == b"-ERR The command has no key arguments"
    assert a.call("COMMAND", "GETKEYS", "NOSUCH", "x") == b"-ERR Invalid command specified"
    assert a.call("CLIENT", "ID", "x") == b"-ERR wrong number of arguments for 'client|id' command"


def test_info_several_sections_each_once(start):
    n = start()
    a = Client(n.port)
    assert a.call("PING") == b"+PONG"  # for commandstats to list
    text = a.call("INFO", "cpu", "all").decode()
    assert text.count("used_cpu_user_children") == 1
    assert "# Memory" in text and "rejected_calls" in text
    text = a.call("INFO", "cpu", "default").decode()
    assert "# Memory" in text and "rejected_calls" not in text
    text = a.call("INFO", "cpu", "keyspace").decode()
    assert "# CPU" in text and "# Keyspace" in text and "# Memory" not in text


def test_small_hash_lists_fields_in_insertion_order(start):
    n = start()
    a = Client(n.port)
    fields = [f"f{i}".encode() for i in (5, 1, 9, 3, 7, 0)]
    for f in fields:
        a.call("HSET", "h", f, b"v" + f)
    a.call("HSET", "h", "f1", "changed")
    assert a.call("HKEYS", "h") == fields
    assert a.call("HSCAN", "h", "0", "COUNT", "1") == [b"0", [x for f in fields
                                                            for x in (f, b"changed" if f == b"f1" else b"v" + f)]]


def test_save_commands_say_there_is_no_persistence_and_refuse_multi(start):
    n = start()
    a = Client(n.port)
    for cmd in (("SAVE",), ("BGSAVE",), ("BGSAVE", "SCHEDULE"), ("BGREWRITEAOF",)):
        assert a.call(*cmd) == (f"-ERR {cmd[0]} is not supported: cachenode has no persistence, "
                                "there is no file to write").encode()
    assert a.call("BGSAVE", "NOW") == b"-ERR syntax error"
    # As Redis 7.0: SAVE and SHUTDOWN are no_multi; refusing one aborts the transaction.
    for cmd in ("SAVE", "SHUTDOWN"):
        assert a.call("MULTI") == b"+OK"
        assert a.call("SET", "foo", "bar") == b"+QUEUED"
        assert a.call(cmd) == b"-ERR Command not allowed inside a transaction"
        assert a.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors."
        assert a.call("GET", "foo") is None
    info = a.call("COMMAND", "INFO", "shutdown", "save")
    assert info[0][2] == [b"+admin", b"+noscript", b"+loading", b"+stale", b"+no_multi", b"+allow_busy"]
    assert info[1][2] == [b"+admin", b"+noscript", b"+no_multi"]


def test_shutdown_stops_as_sigterm_does(start):
    n = start()
    a = Client(n.port)
    assert a.call("SHUTDOWN", "NOSAVE", "SAVE") == b"-ERR syntax error"
    assert a.call("SHUTDOWN", "ABORT", "NOW") == b"-ERR syntax error"
    assert a.call("SHUTDOWN", "LATER") == b"-ERR syntax error"
    assert a.call("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress."
    assert a.call("SHUTDOWN", "SAVE").startswith(b"-ERR Errors trying to SHUTDOWN: cachenode has no persistence")
    assert a.call("PING") == b"+PONG"
    # The connection closes without a reply, and the server stops, logging as for SIGTERM.
    a.s.sendall(resp_command("SHUTDOWN", "NOW"))
    assert recv_all(a.s) == b""
    n.proc.wait(timeout=10)
    r = n.stop()
    assert r.rc == 0
    assert "stopping" in r.err and "stopped" in r.err


def test_shutdown_save_force_stops_without_saving(start):
    n = start()
    a = Client(n.port)
    a.s.sendall(resp_command("shutdown", "save", "force"))
    assert recv_all(a.s) == b""
    n.proc.wait(timeout=10)
    assert n.stop().rc == 0


def test_client_pause_stops_active_expiry(start):
    n = start()
    a = Client(n.port)
    # As Redis: while clients are paused (WRITE, or ALL) the dataset stays still, so keys
    # nobody reads stay until the pause ends.  The keys and the pause go in one write, and
    # only keys set and paused within their 300 ms must all be there: under load the replies
    # can take longer, and active expiry may remove keys before the pause, never during it.
    t = time.monotonic()
    a.s.sendall(b"".join(resp_command("SET", f"t{i}", "v", "PX", "300") for i in range(50)) +
                resp_command("CLIENT", "PAUSE", "5000", "WRITE"))
    assert [a.read() for _ in range(51)] == [b"+OK"] * 51
    paused = a.call("DBSIZE")
    if time.monotonic() - t < 0.3:
        assert paused == 50
    time.sleep(0.6)
    assert a.call("DBSIZE") == paused
    assert a.call("CLIENT", "UNPAUSE") == b"+OK"
    deadline = time.monotonic() + 5
    while a.call("DBSIZE") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert a.call("DBSIZE") == 0


def test_config_set_request_limits_apply_to_every_client(start):
    n = start("--max-value", "16M", "--max-request", "32M")
    a, b = Client(n.port), Client(n.port)
    assert a.call("CONFIG", "SET", "proto-max-bulk-len", "2mb", "client-query-buffer-limit", "3mb") == b"+OK"
    assert a.call("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len", b"2097152"]
    assert a.call("CONFIG", "GET", "client-query-buffer-limit") == [b"client-query-buffer-limit", b"3145728"]
    assert a.call("CONFIG", "SET", "proto-max-bulk-len", "1000").startswith(b"-ERR CONFIG SET failed")
    assert b.call("SET", "k", "v" * (2 << 20)) == b"+OK"
    # One byte more than the new limit, from a client connected before it: refused as Redis
    # refuses it, and the connection closed.
    b.s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % ((2 << 20) + 1))
    assert recv_all(b.s) == b"-ERR Protocol error: invalid bulk length\r\n"
    # A request of arguments each within the limit, but larger than the query buffer's.
    c = Client(n.port)
    c.s.sendall(resp_command("MSET", "x", "v" * (2 << 20), "y", "v" * (2 << 20)))
    assert recv_all(c.s).startswith(b"-ERR Protocol error: request larger than 3145728 bytes")
    assert a.call("STRLEN", "k") == 2 << 20 and a.call("EXISTS", "x") == 0


def help_entries(reply: list) -> dict:
    """A HELP reply in Redis's shape, status lines: its usage line, then each entry's synopsis
    (a line at the margin) with the indented lines under it.  Returns {first word of the
    synopsis: lines}."""
    assert all(line.startswith(b"+") for line in reply), reply
    reply = [line[1:] for line in reply]
    assert reply[0].endswith(b" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"), reply[0]
    entries = {}
    for line in reply[1:]:
        if line.startswith(b" "):
            entries[word].append(line)
        else:
            word = line.split(b" ")[0].lower()
            entries[word] = []
    assert all(entries.values()), entries  # each synopsis has its description
    return entries


def test_help_lists_the_subcommands_command_info_lists(start):
    n = start()
    a = Client(n.port)
    for container in (b"client", b"command", b"config", b"function", b"latency", b"memory", b"object", b"slowlog"):
        helped = help_entries(a.call(container.upper(), "HELP"))
        helped.pop(b"(no", None)  # COMMAND alone
        info = a.call("COMMAND", "INFO", container)[0]
        assert set(helped) == {s[0].split(b"|")[1] for s in info[9]}, container
        assert list(helped)[-1] == b"help"
        assert a.call(container, "HELP", "x") == \
            b"-ERR wrong number of arguments for '%s|help' command" % container
    # Redis's arity, flags and categories, which Redis gives all three HELPs alike.
    assert a.call("COMMAND", "INFO", "client|help", "config|help", "cluster|help") == [
        [b"client|help", 2, [b"+loading", b"+stale"], 0, 0, 0, [b"+@slow", b"+@connection"], [], [], []],
        [b"config|help", 2, [b"+loading", b"+stale"], 0, 0, 0, [b"+@slow"], [], [], []],
        [b"cluster|help", 2, [b"+loading", b"+stale"], 0, 0, 0, [b"+@slow"], [], [], []]]
    # Status lines in RESP3 too, as Redis sends them.
    s = n.connect()
    s.sendall(resp_command("HELLO", "3") + resp_command("CONFIG", "HELP"))
    data = b""
    while not data.endswith(b"+    Print this help.\r\n"):
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    assert b"\r\n*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" in data
    s.close()


def test_cluster_commands_are_listed_and_disabled_without_cluster(start):
    n = start()
    a = Client(n.port)
    disabled = b"-ERR This instance has cluster support disabled"
    # As Redis 7.0 answers without cluster mode: HELP too.
    for cmd in (("CLUSTER", "HELP"), ("CLUSTER", "INFO"), ("CLUSTER", "KEYSLOT", "k"), ("ASKING",), ("READONLY",),
                ("READWRITE",)):
        assert a.call(*cmd) == disabled, cmd
    assert a.call("CLUSTER", "NOSUCH") == b"-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP."
    # An unknown subcommand is refused before it is queued, as Redis refuses it.
    assert a.call("MULTI") == b"+OK"
    assert a.call("memory", "doctor") == b"-ERR unknown subcommand 'doctor'. Try MEMORY HELP."
    assert a.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors."
    assert a.call("CLUSTER", "INFO", "x") == b"-ERR wrong number of arguments for 'cluster|info' command"
    assert a.call("CLUSTER", "MEET", "127.0.0.1") == b"-ERR wrong number of arguments for 'cluster|meet' command"
    assert a.call("WAIT", "0", "0").startswith(b"-ERR unknown command 'WAIT'")
    # Listed as in Redis's command table, whatever the mode (introspection-2's pattern test).
    assert sorted(a.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help")) == [b"client|help", b"cluster|help"]
    assert sorted(a.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*")) == \
        [b"config|resetstat", b"config|rewrite"]
    subs = {s[0] for s in a.call("COMMAND", "INFO", "cluster")[0][9]}
    assert {b"cluster|help", b"cluster|slots", b"cluster|setslot", b"cluster|shards"} <= subs
    assert a.call("COMMAND", "DOCS", "cluster|help") == [
        b"cluster|help", [b"summary", b"Lists CLUSTER's subcommands.", b"since", b"5.0.0", b"group", b"cluster"]]
    assert a.call("CONFIG", "REWRITE") == b"-ERR The server is running without a config file"


def test_migrate_is_listed_with_movable_keys(start):
    n = start()
    a = Client(n.port)
    assert a.call("COMMAND", "INFO", "migrate")[0][:7] == [
        b"migrate", -6, [b"+write", b"+movablekeys"], 3, 3, 1, [b"+@keyspace", b"+@write", b"+@slow", b"+@dangerous"]]
    line = ("MIGRATE", "h", "1", "", "0", "5")
    assert a.call("COMMAND", "GETKEYS", *line) == [b""]
    assert a.call("COMMAND", "GETKEYS", *line, "AUTH2", "KEYS", "KEYS", "KEYS", "a", "b") == [b"a", b"b"]
    assert a.call("COMMAND", "GETKEYSANDFLAGS", *line, "COPY", "KEYS", "a") == [[b"a", [b"+RW", b"+access",
                                                                                      b"+delete"]]]
    assert a.call("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a") == \
        b"-ERR Invalid arguments specified for command"


def test_migrate_between_standalone_nodes(start):
    a, b = start(), start("--requirepass", "pw")
    src, dst = Client(a.port), Client(b.port)
    assert dst.call("AUTH", "pw") == b"+OK"
    assert src.call("SET", "s1", "one", "PX", "60000") == b"+OK"
    assert src.call("SET", "s2", "two") == b"+OK"
    assert src.call("HSET", "h", "f1", "v1", "f2", "v2") == 2
    to = ("MIGRATE", "127.0.0.1", b.port)
    assert src.call(*to, "s1", 0, 1000) == b"-ERR Target instance replied with error: NOAUTH Authentication required."
    assert src.call(*to, "s1", 0, 1000, "AUTH", "nope").startswith(b"-ERR Target instance replied with error: WRONGPASS")
    assert src.call(*to, "", 0, 1000, "AUTH", "pw", "KEYS", "s1", "s2", "missing") == b"+OK"
    assert src.call("EXISTS", "s1", "s2") == 0
    assert dst.call("MGET", "s1", "s2") == [b"one", b"two"]
    assert 0 < dst.call("PTTL", "s1") <= 60000 and dst.call("PTTL", "s2") == -1
    assert src.call(*to, "s1", 0, 1000, "AUTH", "pw") == b"+NOKEY"
    # COPY keeps the source's key; without REPLACE the target's key stays.
    assert src.call("SET", "s2", "again") == b"+OK"
    assert src.call(*to, "s2", 0, 1000, "AUTH2", "default", "pw", "COPY") == \
        b"-ERR Target instance replied with error: BUSYKEY Target key name already exists."
    assert dst.call("GET", "s2") == b"two"
    assert src.call(*to, "s2", 0, 1000, "AUTH2", "default", "pw", "COPY", "REPLACE") == b"+OK"
    assert src.call("GET", "s2") == dst.call("GET", "s2") == b"again"
    # A hash travels whole.
    assert src.call(*to, "h", 0, 1000, "AUTH", "pw") == b"+OK"
    assert src.call("EXISTS", "h") == 0
    assert dst.call("HGETALL", "h") == [b"f1", b"v1", b"f2", b"v2"]
    assert src.call(*to, "h", 1, 1000).startswith(b"-ERR cachenode has a single database")
    assert src.call(*to, "s2", 0, 1000, "KEYS", "s2") == \
        b"-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"


def test_migrate_times_out_on_a_target_that_does_not_answer(start):
    a = start()
    src = Client(a.port)
    assert src.call("SET", "k", "v") == b"+OK"
    # Connections are accepted (the backlog) and never read from, never answered.
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(4)
        t = time.monotonic()
        assert src.call("MIGRATE", "127.0.0.1", mute.getsockname()[1], "k", 0, 300) == \
            b"-IOERR error or timeout reading to target instance"
        assert 0.25 <= time.monotonic() - t < 3
    assert src.call("GET", "k") == b"v"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: the connection is refused
        assert src.call("MIGRATE", "127.0.0.1", port, "k", 0, 300) == b"-IOERR error or timeout connecting to the client"


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_migrate_to_redis_is_refused(start, redis):
    a = start()
    src, theirs = Client(a.port), Client(redis)
    assert src.call("SET", "k", "v") == b"+OK"
    assert src.call("MIGRATE", "127.0.0.1", redis, "k", 0, 1000) == (
        b"-ERR Target instance is not a cachenode: MIGRATE carries cachenode's own DUMP payload, which only a "
        b"cachenode takes")
    assert src.call("GET", "k") == b"v"
    assert theirs.call("DBSIZE") == 0

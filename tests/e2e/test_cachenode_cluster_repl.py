"""End-to-end tests of replication and failover in cachenode's Redis Cluster mode: three masters
and three replicas made by redis-cli --cluster create --cluster-replicas 1, a master killed with
SIGKILL while a client writes and waits (WAIT) for its replica, transactions that a replica's
readers see whole, the other replicas of a failed master continuing the stream from the new one,
and a master cut off from the others by a network partition made with network namespaces and a
veth pair.

The node timeout is one second, as in test_cachenode_cluster.py; a failover must complete within
three times it."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import tool_env, tool_path, wait_until
from test_cachenode import REDIS_CLI, Node, free_port, stop_all
from test_cachenode_cluster import IDLE_CPU_MAX_S, NODE_TIMEOUT_MS, ClusterNode, check, create, idle_cpu

pytestmark = [pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed"),
              pytest.mark.xdist_group("cachenode-cluster-repl")]

TIMEOUT_S = NODE_TIMEOUT_MS / 1000


@pytest.fixture
def six(tmp_path):
    """Three masters and three replicas made by redis-cli --cluster create."""
    nodes = [ClusterNode(tmp_path) for _ in range(6)]
    try:
        r = create(nodes, "--cluster-replicas", "1")
        assert r.returncode == 0, r.stdout
        assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10)
        assert wait_until(lambda: all(role(n)[0] == "master" or link_up(n) for n in nodes), 10)
        yield nodes
    finally:
        running = [n for n in nodes if n.proc.poll() is None]
        for n in nodes:
            if n not in running:
                n.err.close()
        for r in stop_all(running):
            assert r.rc == 0, r


def role(n) -> list[str]:
    return n.cli("ROLE").splitlines()


def link_up(n) -> bool:
    return "master_link_status:up" in n.cli("INFO", "replication")


def master_of(replica, nodes):
    port = int(role(replica)[2])
    return next(n for n in nodes if n.port == port)


def slots_of(n) -> list[tuple[int, int]]:
    mine = next(line for line in n.cli("CLUSTER", "NODES").splitlines() if "myself" in line)
    ranges = []
    for s in mine.split()[8:]:
        lo, _, hi = s.partition("-")
        ranges.append((int(lo), int(hi or lo)))
    return ranges


def http_key(node, method: str, key: str, body: bytes | None = None) -> int:
    """The status of METHOD /v1/keys/KEY on node's HTTP port."""
    url = f"http://127.0.0.1:{node.http_port}/v1/keys/{urllib.parse.quote(key, safe='')}"
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=10) as r:
        return r.status


def tag_in(node, ranges) -> str:
    """A hash tag whose slot is in ranges."""
    for i in range(100000):
        slot = int(node.cli("CLUSTER", "KEYSLOT", f"{{t{i}}}"))
        if any(lo <= slot <= hi for lo, hi in ranges):
            return f"{{t{i}}}"
    raise AssertionError("no tag found")


def test_replicas_are_made_listed_and_fed(six):
    # Formed, the cluster rests: no node spins.
    used = idle_cpu(six)
    assert max(used) < IDLE_CPU_MAX_S, used
    masters = [n for n in six if role(n)[0] == "master"]
    replicas = [n for n in six if role(n)[0] == "slave"]
    assert len(masters) == 3 and len(replicas) == 3
    r = check(six[0])
    assert r.returncode == 0 and "[OK] All nodes agree about slots configuration." in r.stdout, r.stdout
    assert r.stdout.count("1 additional replica(s)") == 3, r.stdout
    m = masters[0]
    rep = next(n for n in replicas if master_of(n, six) is m)
    m_id, rep_id = m.myid(), rep.myid()
    # CLUSTER NODES, REPLICAS and SLAVES as Redis shows them.
    line = next(x for x in six[2].cli("CLUSTER", "NODES").splitlines() if x.startswith(rep_id))
    assert line.split()[2].endswith("slave") and line.split()[3] == m_id
    listed = m.cli("CLUSTER", "REPLICAS", m_id).splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"{rep_id} 127.0.0.1:{rep.port}@")
    assert m.cli("CLUSTER", "SLAVES", m_id).split()[:4] == listed[0].split()[:4]
    assert m.cli("CLUSTER", "REPLICAS", rep_id) == "ERR The specified node is not a master"
    assert m.cli("CLUSTER", "REPLICATE", rep_id) == "ERR I can only replicate a master, not a replica."
    assert f"{rep.port}" in m.cli("CLUSTER", "SLOTS")
    shards = m.cli("CLUSTER", "SHARDS").splitlines()
    assert shards.count("replica") == 3 and shards.count("master") == 3, shards
    # Writes reach the replica; WAIT counts it.
    tag = tag_in(m, slots_of(m))
    assert m.cli("SET", f"{tag}a", "1") == "OK"
    assert m.cli("HSET", f"{tag}h", "f", "v") == "1"
    assert m.cli("WAIT", "1", "1000") == "1"
    assert m.cli("WAIT", "2", "100") == "1"
    info = dict(x.split(":", 1) for x in m.cli("INFO", "replication").splitlines() if ":" in x)
    assert info["role"] == "master" and info["connected_slaves"] == "1"
    assert info["slave0"].startswith(f"ip=127.0.0.1,port={rep.port},state=online,offset={info['master_repl_offset']}")
    # redis-py's RedisCluster sees the replicas, and reads from them when asked to.
    redis = pytest.importorskip("redis")
    from redis.cluster import RedisCluster
    rc = RedisCluster(host="127.0.0.1", port=m.port, read_from_replicas=True)
    assert len(rc.get_nodes()) == 6
    assert len(rc.get_replicas()) == 3
    assert [rc.get(f"{tag}a") for _ in range(4)] == [b"1"] * 4
    rc.close()
    # A replica redirects writes, and reads too until READONLY.
    slot = m.cli("CLUSTER", "KEYSLOT", f"{tag}a")
    assert rep.cli("SET", f"{tag}a", "2") == f"MOVED {slot} 127.0.0.1:{m.port}"
    assert rep.cli("GET", f"{tag}a") == f"MOVED {slot} 127.0.0.1:{m.port}"
    assert rep.cli_batch(("READONLY",), ("GET", f"{tag}a"), ("HGET", f"{tag}h", "f"), ("SET", f"{tag}a", "2")) == \
        ["OK", "1", "v", f"MOVED {slot} 127.0.0.1:{m.port}"]
    assert rep.cli("WAIT", "1", "10").startswith("ERR WAIT cannot be used with replica instances")
    assert rep.cli("FLUSHALL") == "READONLY You can't write against a read only replica."
    rinfo = rep.cli("INFO", "replication")
    assert "role:slave" in rinfo and f"master_port:{m.port}" in rinfo and \
        f"slave_repl_offset:{info['master_repl_offset']}" in rinfo
    assert role(rep)[:4] == ["slave", "127.0.0.1", str(m.port), "connected"]
    # The metrics of replication.
    metrics = subprocess.run(["curl", "-s", f"http://127.0.0.1:{m.http_port}/metrics"], stdout=subprocess.PIPE,
                             text=True, timeout=10).stdout
    assert re.search(r'^cachenode_replication_offset_bytes\{role="master"\} [1-9]\d*$', metrics, re.M), metrics
    served = sum(hi - lo + 1 for lo, hi in slots_of(m))
    assert f'cachenode_cluster_myself_slots {served}\n' in metrics, metrics
    assert re.search(rf'^cachenode_replica_lag_bytes{{replica="{rep_id}"}} 0$', metrics, re.M), metrics
    # Writes through the HTTP API, made on the master or forwarded to it by the replica, reach
    # the replica as RESP writes do.
    assert http_key(m, "PUT", f"{tag}web", b"on the master") == 204
    assert http_key(rep, "PUT", f"{tag}web2", b"through the replica") == 204
    assert m.cli("WAIT", "1", "1000") == "1"
    assert rep.cli_batch(("READONLY",), ("GET", f"{tag}web"), ("GET", f"{tag}web2")) == \
        ["OK", "on the master", "through the replica"]
    assert http_key(m, "DELETE", f"{tag}web") == 204
    assert m.cli("WAIT", "1", "1000") == "1"
    assert rep.cli_batch(("READONLY",), ("EXISTS", f"{tag}web")) == ["OK", "0"]
    # A replica restarted with its nodes file syncs again, in full.
    rep.stop()
    back = Node(rep.nodes_file.parent, "--cluster", "--cluster-port", rep.bus_port, "--cluster-config-file",
                rep.nodes_file, "--cluster-node-timeout", NODE_TIMEOUT_MS)
    try:
        assert m.cli("DEL", f"{tag}a") == "1"
        assert m.cli("SET", f"{tag}b", "3", "PX", "60000") == "OK"
        assert wait_until(lambda: "master_link_status:up" in back.cli("INFO", "replication"), 10)
        assert m.cli("WAIT", "1", "1000") == "1"
        assert back.cli_batch(("READONLY",), ("EXISTS", f"{tag}a"), ("GET", f"{tag}b")) == ["OK", "0", "3"]
        assert 0 < int(back.cli_batch(("READONLY",), ("PTTL", f"{tag}b"))[1]) <= 60000
        assert "replica syncing in full" in m.stderr()
    finally:
        assert back.stop().rc == 0


def test_a_killed_master_is_replaced_by_its_replica(six, tmp_path):
    masters = [n for n in six if role(n)[0] == "master"]
    dead = masters[0]
    heir = next(n for n in six if role(n)[0] == "slave" and master_of(n, six) is dead)
    dead_id = dead.myid()
    tag = tag_in(dead, slots_of(dead))
    redis = pytest.importorskip("redis")
    acked: dict[str, str] = {}
    stop = threading.Event()
    errors = []

    def writer():
        c = redis.Redis(port=dead.port, socket_timeout=2)
        i = 0
        while not stop.is_set():
            key = f"{tag}k{i % 50}"
            try:
                c.set(key, str(i))
                if c.execute_command("WAIT", 1, 1000) == 1:
                    acked[key] = str(i)
            except redis.exceptions.ConnectionError:
                return
            except redis.exceptions.RedisError as e:
                errors.append(e)
                return
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    assert wait_until(lambda: len(acked) >= 50, 10)
    dead.proc.send_signal(signal.SIGKILL)
    dead.proc.wait()
    t0 = time.monotonic()
    stop.set()
    t.join(10)
    assert not errors, errors
    assert wait_until(lambda: role(heir)[0] == "master", 3 * TIMEOUT_S, step=0.05)
    took = time.monotonic() - t0
    assert took < 3 * TIMEOUT_S, took
    assert "failover: elected" in heir.stderr()
    # Every write the replica acknowledged survived: each key holds that value, or one written
    # after it (values grow) that reached the replica before WAIT could say so.
    got = heir.cli_batch(*(("GET", k) for k in acked))
    assert all(int(g) >= int(a) for g, a in zip(got, acked.values())), list(zip(got, acked.values()))
    others = [n for n in six if n is not dead]
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in others), 10)
    # The old master comes back with its nodes file, learns it lost its slots to a newer epoch,
    # and follows the new master.
    back = Node(tmp_path, "--cluster", "--cluster-port", dead.bus_port, "--cluster-config-file", dead.nodes_file,
                "--cluster-node-timeout", NODE_TIMEOUT_MS)
    try:
        assert back.cli("CLUSTER", "MYID") == dead_id
        assert wait_until(lambda: back.cli("ROLE").splitlines()[:3] == ["slave", "127.0.0.1", str(heir.port)], 10)
        assert wait_until(lambda: "master_link_status:up" in back.cli("INFO", "replication"), 10)
        assert back.cli_batch(("READONLY",), *(("GET", k) for k in acked))[1:] == got
        r = check(heir)
        assert r.returncode == 0 and "[OK] All 16384 slots covered." in r.stdout, r.stdout
        assert "[OK] All nodes agree about slots configuration." in r.stdout, r.stdout
    finally:
        assert back.stop().rc == 0


def test_manual_forced_and_takeover_failovers(six):
    m = next(n for n in six if role(n)[0] == "master")
    rep = next(n for n in six if role(n)[0] == "slave" and master_of(n, six) is m)
    assert m.cli("CLUSTER", "FAILOVER") == "ERR You should send CLUSTER FAILOVER to a replica"
    assert rep.cli("CLUSTER", "FAILOVER", "NOW") == "ERR syntax error"
    tag = tag_in(m, slots_of(m))
    assert m.cli("SET", f"{tag}x", "before") == "OK"
    # Manual: the master pauses, the replica catches up, then takes over; the master follows.
    assert rep.cli("CLUSTER", "FAILOVER") == "OK"
    assert wait_until(lambda: role(rep)[0] == "master" and role(m)[0] == "slave", 3 * TIMEOUT_S)
    assert rep.cli("GET", f"{tag}x") == "before"
    assert "pausing writes for a manual failover" in m.stderr()
    # FORCE: an election even though the master is up.
    assert wait_until(lambda: link_up(m), 10)
    assert m.cli("CLUSTER", "FAILOVER", "FORCE") == "OK"
    assert wait_until(lambda: role(m)[0] == "master" and role(rep)[0] == "slave", 3 * TIMEOUT_S)
    # TAKEOVER: no election at all.
    assert wait_until(lambda: link_up(rep), 10)
    assert rep.cli("CLUSTER", "FAILOVER", "TAKEOVER") == "OK"
    assert wait_until(lambda: role(rep)[0] == "master" and role(m)[0] == "slave", 3 * TIMEOUT_S)
    assert wait_until(lambda: check(six[0]).returncode == 0, 10)


def pair(tmp_path, *args):
    """A master serving every slot and its replica (redis-cli's add-node --cluster-slave,
    unchanged)."""
    a = ClusterNode(tmp_path, *args)
    b = ClusterNode(tmp_path, *args)
    try:
        assert a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == "OK"
        assert wait_until(lambda: a.info()["cluster_state"] == "ok", 10)
        r = subprocess.run([REDIS_CLI, "--cluster", "add-node", b.addr, a.addr, "--cluster-slave"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0 and "[OK] New node added correctly." in r.stdout, r.stdout
        assert wait_until(lambda: link_up(b), 10)
    except BaseException:
        stop_all((a, b))
        raise
    return a, b


def test_a_replica_beyond_the_backlog_syncs_in_full(tmp_path):
    a, b = pair(tmp_path, "--repl-backlog-size", "1K")
    try:
        assert role(b)[:3] == ["slave", "127.0.0.1", str(a.port)]
        assert a.cli("SET", "k", "v") == "OK"
        assert a.cli("WAIT", "1", "1000") == "1"
        # Stopped, the replica reads nothing; the master's stream outgrows what it may queue for
        # it and what its backlog keeps, so the replica has to start over from a copy.
        b.proc.send_signal(signal.SIGSTOP)
        try:
            value = "x" * 1000
            script = "".join(f"SET k{i} {value}\n" for i in range(6000))
            subprocess.run([REDIS_CLI, "-p", str(a.port)], input=script, stdout=subprocess.DEVNULL, text=True,
                           timeout=60, check=True)
        finally:
            b.proc.send_signal(signal.SIGCONT)
        # The copy is 6 MB: on a loaded machine it takes a few seconds.
        assert wait_until(lambda: a.cli("WAIT", "1", "1000") == "1", 30), a.stderr()
        assert b.cli_batch(("READONLY",), ("DBSIZE",), ("GET", "k")) == ["OK", "6001", "v"]
        assert "the replica fell behind the backlog" in a.stderr() or "does not keep up" in a.stderr(), a.stderr()
        assert a.stderr().count("replica syncing in full") >= 2, a.stderr()
        assert "replica continues the stream" not in a.stderr()
        # Synced again, master and replica rest: neither spins.
        used = idle_cpu((a, b))
        assert max(used) < IDLE_CPU_MAX_S, used
    finally:
        assert [r.rc for r in stop_all((a, b))] == [0, 0]


def test_a_transaction_reaches_a_replica_whole(tmp_path):
    """MULTI/EXEC on the master: a reader of the replica sees all of it or none, never half."""
    redis = pytest.importorskip("redis")
    a, b = pair(tmp_path)
    keys = [f"{{tx}}k{i}" for i in range(100)]
    try:
        stop = threading.Event()
        torn, seen = [], set()

        def reader():
            # A transaction of its own on the replica reads every key at one moment.
            c = redis.Redis(port=b.port, socket_timeout=5)
            c.execute_command("READONLY")
            while not stop.is_set():
                p = c.pipeline(transaction=True)
                for k in keys:
                    p.get(k)
                got = set(p.execute())
                seen.update(got)
                if len(got) != 1:
                    torn.append(sorted(x or b"" for x in got))

        t = threading.Thread(target=reader)
        t.start()
        try:
            w = redis.Redis(port=a.port, socket_timeout=5)
            deadline = time.monotonic() + 2
            i = 0
            # Two seconds of transactions, longer (up to ten more) until the reader saw 20 of them.
            while time.monotonic() < deadline or (len(seen) < 20 and time.monotonic() < deadline + 10):
                p = w.pipeline(transaction=True)
                for k in keys:
                    p.set(k, i)
                p.execute()
                i += 1
        finally:
            stop.set()
            t.join(10)
        assert not torn, torn[:3]
        assert len(seen) >= 20, seen
        # All of the last one arrived, and the stream holds it as one unit.
        assert a.cli("WAIT", "1", "1000") == "1"
        c = redis.Redis(port=b.port, socket_timeout=5)
        c.execute_command("READONLY")
        assert set(c.mget(keys)) == {str(i - 1).encode()}
        # A transaction that writes nothing adds nothing to the stream.
        offset = a.cli("INFO", "replication")
        assert a.cli_batch(("MULTI",), ("GET", keys[0]), ("EXEC",)) == ["OK", "QUEUED", str(i - 1)]
        assert a.cli("INFO", "replication").split("master_repl_offset:")[1].split()[0] == \
            offset.split("master_repl_offset:")[1].split()[0]
    finally:
        assert [r.rc for r in stop_all((a, b))] == [0, 0]


def replication(n) -> dict:
    return dict(x.split(":", 1) for x in n.cli("INFO", "replication").splitlines() if ":" in x)


def test_after_a_failover_the_other_replicas_continue_the_stream(six, tmp_path):
    """A master with two replicas killed: the one elected keeps the old stream id as its second
    one, and the other replica continues the stream from it instead of copying every key."""
    m = next(n for n in six if role(n)[0] == "master")
    first = next(n for n in six if role(n)[0] == "slave" and master_of(n, six) is m)
    second = ClusterNode(tmp_path)
    try:
        r = subprocess.run([REDIS_CLI, "--cluster", "add-node", second.addr, m.addr, "--cluster-slave",
                            "--cluster-master-id", m.myid()],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0 and "[OK] New node added correctly." in r.stdout, r.stdout
        assert wait_until(lambda: link_up(second), 10)
        tag = tag_in(m, slots_of(m))
        script = "".join(f"SET {tag}k{i} v{i}\n" for i in range(2000))
        subprocess.run([REDIS_CLI, "-p", str(m.port)], input=script, stdout=subprocess.DEVNULL, text=True,
                       timeout=60, check=True)
        assert m.cli("WAIT", "2", "2000") == "2"
        old_replid = replication(m)["master_replid"]
        offset = int(replication(m)["master_repl_offset"])
        m.proc.send_signal(signal.SIGKILL)
        m.proc.wait()
        replicas = (first, second)
        assert wait_until(lambda: any(role(n)[0] == "master" for n in replicas), 3 * TIMEOUT_S, step=0.05)
        heir = next(n for n in replicas if role(n)[0] == "master")
        other = next(n for n in replicas if n is not heir)
        info = replication(heir)
        assert info["master_replid2"] == old_replid and info["second_repl_offset"] == str(offset + 1), info
        assert info["master_replid"] != old_replid
        # The other replica follows the new master and continues its stream: no copy.
        assert wait_until(lambda: role(other)[:3] == ["slave", "127.0.0.1", str(heir.port)] and link_up(other), 10)
        assert wait_until(lambda: replication(heir)["sync_partial_ok"] == "1", 10), replication(heir)
        assert replication(heir)["sync_full"] == "0"
        assert "replica continues the stream" in heir.stderr() and "replica syncing in full" not in heir.stderr()
        assert replication(other)["master_replid"] == replication(heir)["master_replid"]
        assert heir.cli("SET", f"{tag}after", "1") == "OK"
        assert heir.cli("WAIT", "1", "1000") == "1"
        assert other.cli_batch(("READONLY",), ("GET", f"{tag}after"), ("GET", f"{tag}k1999"), ("DBSIZE",))[1:] == \
            ["1", "v1999", heir.cli("DBSIZE")]
    finally:
        assert second.stop().rc == 0


# ---- A network partition: one master alone in a network namespace of its own ----

IP = shutil.which("ip")
needs_netns = pytest.mark.skipif(os.geteuid() != 0 or IP is None, reason="network namespaces need root and ip(8)")


def ip(*args) -> None:
    subprocess.run([IP, *args], check=True, timeout=10, stdout=subprocess.DEVNULL)


class NsNode:
    """A cachenode run inside a network namespace, bound to that namespace's address."""

    def __init__(self, tmp_path, ns: str, addr: str, name: str):
        self.ns, self.addr = ns, addr
        self.port, self.bus_port, self.http_port = free_port(), free_port(), free_port()
        self.nodes_file = tmp_path / f"nodes-{name}.conf"
        self.err_path = tmp_path / f"{name}.err"
        self.err = open(self.err_path, "wb")
        argv = [IP, "netns", "exec", ns, str(tool_path("cachenode")), "--bind", addr, "--port", str(self.port),
                "--http-port", str(self.http_port), "--threads", "1", "--cluster", "--cluster-port",
                str(self.bus_port), "--cluster-config-file", str(self.nodes_file), "--cluster-node-timeout",
                str(NODE_TIMEOUT_MS)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err,
                                     env=tool_env())
        assert wait_until(lambda: self.cli("PING") == "PONG" or self.proc.poll() is not None, 10)
        assert self.proc.poll() is None, self.stderr()

    def cli(self, *args, extra=()) -> str:
        p = subprocess.run([IP, "netns", "exec", self.ns, REDIS_CLI, "-h", self.addr, "-p", str(self.port), *extra,
                            *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        return p.stdout.decode("utf-8", "surrogateescape").rstrip("\n")

    def stderr(self) -> str:
        return self.err_path.read_bytes().decode("utf-8", "surrogateescape")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.err.close()
        return rc

    def myid(self) -> str:
        return self.cli("CLUSTER", "MYID")

    def state(self) -> str:
        return dict(x.split(":", 1) for x in self.cli("CLUSTER", "INFO").splitlines() if ":" in x)["cluster_state"]


@needs_netns
def test_a_partitioned_master_stops_and_its_replica_takes_over(tmp_path):
    tag = uuid.uuid4().hex[:6]
    main_ns, alone_ns = f"cnm{tag}", f"cna{tag}"
    veth_main, veth_alone = f"cnm{tag}", f"cna{tag}"
    net = f"10.{200 + int(tag[:2], 16) % 50}.{int(tag[2:4], 16)}"
    main_ip, alone_ip = f"{net}.1", f"{net}.2"
    nodes = []
    ip("netns", "add", main_ns)
    try:
        ip("netns", "add", alone_ns)
        ip("link", "add", veth_main, "netns", main_ns, "type", "veth", "peer", "name", veth_alone, "netns", alone_ns)
        for ns, dev, addr in ((main_ns, veth_main, main_ip), (alone_ns, veth_alone, alone_ip)):
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        alone = NsNode(tmp_path, alone_ns, alone_ip, "alone")
        nodes.append(alone)
        others = [NsNode(tmp_path, main_ns, main_ip, f"main{i}") for i in range(5)]
        nodes.extend(others)
        b, c, heir, rb, rc_ = others
        assert alone.cli("CLUSTER", "ADDSLOTSRANGE", 0, 5460) == "OK"
        assert b.cli("CLUSTER", "ADDSLOTSRANGE", 5461, 10922) == "OK"
        assert c.cli("CLUSTER", "ADDSLOTSRANGE", 10923, 16383) == "OK"
        for n in others:
            assert alone.cli("CLUSTER", "MEET", main_ip, n.port, n.bus_port) == "OK"
        ids = {n: n.myid() for n in nodes}
        assert wait_until(lambda: all(all(i in n.cli("CLUSTER", "NODES") for i in ids.values()) for n in nodes), 15)
        for rep, m in ((heir, alone), (rb, b), (rc_, c)):
            assert rep.cli("CLUSTER", "REPLICATE", ids[m]) == "OK"
        assert wait_until(lambda: all(n.state() == "ok" for n in nodes), 15)
        assert wait_until(lambda: "master_link_status:up" in heir.cli("INFO", "replication"), 10)
        key = f"{tag_in(alone, [(0, 5460)])}p"
        assert alone.cli("SET", key, "v1") == "OK"
        assert alone.cli("WAIT", 1, 1000) == "1"

        ip("-n", alone_ns, "link", "set", veth_alone, "down")
        t0 = time.monotonic()
        # The minority stops taking writes; the majority fails the master over to its replica.
        assert wait_until(lambda: alone.cli("SET", key, "lost").startswith("CLUSTERDOWN"), 3 * TIMEOUT_S)
        assert wait_until(lambda: heir.cli("ROLE").startswith("master"), 3 * TIMEOUT_S)
        assert time.monotonic() - t0 < 3 * TIMEOUT_S + 0.5
        assert wait_until(lambda: b.state() == "ok", 3 * TIMEOUT_S)
        assert heir.cli("SET", key, "v2") == "OK"
        assert heir.cli("GET", key) == "v2"

        ip("-n", alone_ns, "link", "set", veth_alone, "up")
        # Healed: the old master sees the newer epoch's claim, follows the new master, and takes
        # its copy; every node agrees on one owner per slot.
        assert wait_until(lambda: alone.cli("ROLE").splitlines()[:3] == ["slave", main_ip, str(heir.port)], 15)
        assert wait_until(lambda: "master_link_status:up" in alone.cli("INFO", "replication"), 10)
        assert alone.cli("GET", key).startswith("MOVED")
        p = subprocess.run([IP, "netns", "exec", alone_ns, REDIS_CLI, "-h", alone_ip, "-p", str(alone.port)],
                           input=f"READONLY\nGET {key}\n", stdout=subprocess.PIPE, text=True, timeout=20)
        assert p.stdout.split() == ["OK", "v2"]

        def one_owner_everywhere():
            views = set()
            for n in nodes:
                owners = sorted((line.split()[0], tuple(line.split()[8:])) for line in
                                n.cli("CLUSTER", "NODES").splitlines() if len(line.split()) > 8)
                views.add(tuple(owners))
            return len(views) == 1 and n.state() == "ok"

        assert wait_until(one_owner_everywhere, 15)
        assert heir.cli("GET", key) == "v2"
    finally:
        codes = {n.stop() for n in nodes}
        subprocess.run([IP, "netns", "del", alone_ns], timeout=10)
        subprocess.run([IP, "netns", "del", main_ns], timeout=10)
    assert codes == {0}, [n.stderr() for n in nodes]

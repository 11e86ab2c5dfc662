"""End-to-end tests of cachenode's Redis Cluster mode (--cluster): nodes on loopback ports
chosen at run time, joined and checked by redis-cli's own cluster manager and driven by
cluster-aware clients (redis-cli -c, redis-py's RedisCluster).

Each node gets a bus port of its own (--cluster-port) rather than port + 10000, which can be
beyond 65535 for the ports the kernel hands out, and a node timeout of one second."""
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_until
from test_cachenode import REDIS_CLI, Node, cpu_seconds, free_port, stop_all
from test_cachenode_commands import help_entries
from test_cachenode_differential import Client
from test_manpages import sanitized_build

needs_redis_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed")
pytestmark = [needs_redis_cli, pytest.mark.xdist_group("cachenode-cluster")]

NODE_TIMEOUT_MS = 1000


class ClusterNode(Node):
    """A cachenode started with --cluster, its nodes file and bus port its own."""

    def __init__(self, tmp_path: Path, *args, name=None, node_timeout_ms=NODE_TIMEOUT_MS):
        # free_port() finds ports that were free a moment ago: a test running beside this one
        # may take one first, and then the node is started again on others.
        for attempt in range(3):
            self.bus_port = free_port()
            self.nodes_file = tmp_path / f"nodes-{name or self.bus_port}.conf"
            try:
                super().__init__(tmp_path, "--cluster", "--cluster-port", self.bus_port, "--cluster-config-file",
                                 self.nodes_file, "--cluster-node-timeout", node_timeout_ms, *args)
                return
            except AssertionError as e:
                if "is taken by another listener" not in str(e) or attempt == 2:
                    raise
                self.err.close()

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def myid(self) -> str:
        return self.cli("CLUSTER", "MYID")

    def info(self) -> dict:
        return dict(line.split(":", 1) for line in self.cli("CLUSTER", "INFO").splitlines() if ":" in line)


@pytest.fixture
def cluster_nodes(tmp_path):
    nodes = []

    def _start(n: int, *args, **kwargs) -> list[ClusterNode]:
        new = [ClusterNode(tmp_path, *args, **kwargs) for _ in range(n)]
        nodes.extend(new)
        return new

    yield _start
    killed = [n for n in nodes if n.proc.poll() is not None and n.proc.returncode == -9]  # by the test, on purpose
    for n in killed:
        n.err.close()
    for r in stop_all([n for n in nodes if n not in killed]):
        assert r.rc == 0, r


def idle_cpu(nodes, seconds=2.0) -> list[float]:
    """The CPU time each node uses during seconds in which nobody asks it anything."""
    before = [cpu_seconds(n.proc.pid) for n in nodes]
    time.sleep(seconds)
    return [cpu_seconds(n.proc.pid) - b for n, b in zip(nodes, before)]


# An idle node pings its peers a few times a second and looks at its links ten times: a few ms of
# CPU in 2 s (Redis's nodes, in the same cluster, about the same); a node that spins uses 2 s.
IDLE_CPU_MAX_S = 0.2


def meet_bus(node: ClusterNode, other: ClusterNode) -> str:
    return node.cli("CLUSTER", "MEET", "127.0.0.1", other.port, other.bus_port)


def know_each_other(nodes: list[ClusterNode]) -> bool:
    """Every node lists every other by its own id, none still in a handshake (in which a node is
    counted in cluster_known_nodes under a made-up id)."""
    ids = [n.myid() for n in nodes]
    for n in nodes:
        table = n.cli("CLUSTER", "NODES")
        if "handshake" in table or not all(i in table for i in ids):
            return False
    return True


def create(nodes: list[ClusterNode], *extra) -> subprocess.CompletedProcess:
    """redis-cli --cluster create over nodes.  redis-cli reads the first node's bus port from
    its CLUSTER NODES and gives it to the MEETs it sends, so bus ports of their own need
    nothing more."""
    return subprocess.run([REDIS_CLI, "--cluster", "create", *(n.addr for n in nodes), *extra, "--cluster-yes"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, text=True)


def check(node: ClusterNode) -> subprocess.CompletedProcess:
    return subprocess.run([REDIS_CLI, "--cluster", "check", node.addr], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60, text=True)


def agree(node: ClusterNode) -> bool:
    return "[OK] All nodes agree about slots configuration." in check(node).stdout


def test_without_cluster_the_cluster_commands_are_disabled(tmp_path):
    n = Node(tmp_path)
    try:
        assert n.cli("CLUSTER", "INFO") == "ERR This instance has cluster support disabled"
        assert n.cli("ASKING") == "ERR This instance has cluster support disabled"
        assert "cluster_enabled" not in n.cli("INFO")
        assert "redis_mode:standalone" in n.cli("INFO", "server")
    finally:
        assert n.stop().rc == 0


def test_cluster_help_describes_every_subcommand(cluster_nodes):
    """CLUSTER HELP in Redis's shape, as the other HELPs: a synopsis and its description for
    each subcommand COMMAND INFO lists (SLAVES aside: Redis's HELP leaves that old name out too),
    HELP last."""
    n, = cluster_nodes(1)
    a = Client(n.port)
    helped = help_entries(a.call("CLUSTER", "HELP"))
    info = a.call("COMMAND", "INFO", "cluster")[0]
    assert set(helped) == {s[0].split(b"|")[1] for s in info[9]} - {b"slaves"}
    assert list(helped)[-1] == b"help"
    assert helped[b"help"] == [b"    Print this help."]
    assert a.call("CLUSTER", "NOSUCH") == b"-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP."
    assert a.call("CLUSTER", "HELP", "x") == b"-ERR wrong number of arguments for 'cluster|help' command"


def test_cluster_options_need_cluster(run):
    r = run("cachenode", "--cluster-config-file", "x.conf", "--check-config")
    assert r.rc == 2, r
    assert "--cluster" in r.err


def test_create_check_and_clients(cluster_nodes):
    nodes = cluster_nodes(3)
    for n in nodes:
        assert n.info()["cluster_state"] == "fail"
        assert "cluster_enabled:1" in n.cli("INFO", "cluster")
    r = create(nodes)
    assert r.returncode == 0, r.stdout
    assert "[OK] All 16384 slots covered." in r.stdout
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10), [n.info() for n in nodes]
    r = check(nodes[1])
    assert r.returncode == 0, r.stdout
    assert "[OK] All nodes agree about slots configuration." in r.stdout
    for n in nodes:
        assert n.info()["cluster_known_nodes"] == "3"
        assert n.info()["cluster_size"] == "3"
    # Every node's view: three masters, their slots, itself marked.
    view = nodes[0].cli("CLUSTER", "NODES").splitlines()
    assert len(view) == 3
    assert sum("myself" in line for line in view) == 1
    # A plain client is redirected; redis-cli -c follows.
    slot = int(nodes[0].cli("CLUSTER", "KEYSLOT", "foo"))
    owner = next(n for n in nodes if any(
        re.fullmatch(r"(\d+)-(\d+)", s) and int(s.split("-")[0]) <= slot <= int(s.split("-")[1])
        for s in n.cli("CLUSTER", "NODES").split("myself")[1].splitlines()[0].split()[6:]))
    other = next(n for n in nodes if n is not owner)
    assert other.cli("SET", "foo", "bar") == f"MOVED {slot} 127.0.0.1:{owner.port}"
    assert other.cli("SET", "foo", "bar", extra=("-c",)) == "OK"
    assert other.cli("GET", "foo", extra=("-c",)) == "bar"
    assert owner.cli("GET", "foo") == "bar"
    assert other.cli("MGET", "foo", "bar") == "CROSSSLOT Keys in request don't hash to the same slot"
    # redis-cli -c, 10,000 keys through one process.
    script = "".join(f"SET cli:{i} v{i}\n" for i in range(10000)) + "".join(f"GET cli:{i}\n" for i in range(10000))
    p = subprocess.run([REDIS_CLI, "-c", "-p", str(nodes[0].port)], input=script, stdout=subprocess.PIPE,
                       text=True, timeout=120)
    # Each redirection it followed is reported on a line of its own.
    lines = [line for line in p.stdout.split("\n") if not line.startswith("-> Redirected")]
    assert lines[:10000] == ["OK"] * 10000
    assert lines[10000:20000] == [f"v{i}" for i in range(10000)]
    # redis-py's RedisCluster: 10,000 keys set and read back.
    redis = pytest.importorskip("redis")
    from redis.cluster import RedisCluster
    rc = RedisCluster(host="127.0.0.1", port=nodes[2].port)
    for i in range(10000):
        rc.set(f"py:{i}", f"w{i}")
    assert all(rc.get(f"py:{i}") == f"w{i}".encode() for i in range(10000))
    assert len(rc.get_nodes()) == 3
    rc.close()
    assert redis.__version__
    counts = [int(n.cli("DBSIZE")) for n in nodes]
    assert sum(counts) == 20001
    assert all(c > 5000 for c in counts), counts


def test_nodes_file_survives_a_restart(cluster_nodes, tmp_path):
    a, b = cluster_nodes(2)
    assert a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "8191") == "OK"
    assert b.cli("CLUSTER", "ADDSLOTSRANGE", "8192", "16383") == "OK"
    assert meet_bus(a, b) == "OK"
    assert wait_until(lambda: a.info()["cluster_state"] == "ok" and b.info()["cluster_state"] == "ok", 10)
    a_id = a.myid()
    assert a.stop().rc == 0
    text = a.nodes_file.read_text()
    assert f"{a_id} 127.0.0.1:{a.port}@{a.bus_port} myself,master" in text
    assert b.myid() in text and "8192-16383" in text
    assert re.search(r"^vars currentEpoch \d+ lastVoteEpoch \d+$", text, re.M)
    restarted = Node(tmp_path, "--cluster", "--cluster-port", a.bus_port, "--cluster-config-file", a.nodes_file,
                     "--cluster-node-timeout", NODE_TIMEOUT_MS)
    try:
        assert restarted.cli("CLUSTER", "MYID") == a_id
        # It knows b from the file, and b sees it again.
        assert wait_until(lambda: "cluster_state:ok" in restarted.cli("CLUSTER", "INFO"), 10)
        assert wait_until(lambda: f"127.0.0.1:{restarted.port}@" in b.cli("CLUSTER", "NODES"), 10)
    finally:
        assert restarted.stop().rc == 0


def test_a_node_with_another_secret_is_refused(cluster_nodes, tmp_path):
    s1, s2 = tmp_path / "s1", tmp_path / "s2"
    s1.write_text("one secret\n")
    s2.write_text("another\n")
    (a,) = cluster_nodes(1, "--cluster-secret-file", s1)
    (b,) = cluster_nodes(1, "--cluster-secret-file", s2)
    (c,) = cluster_nodes(1, "--cluster-secret-file", s1)
    assert meet_bus(a, b) == "OK"
    assert meet_bus(a, c) == "OK"
    assert wait_until(lambda: c.info()["cluster_known_nodes"] == "2", 10)
    assert wait_until(lambda: "bad authentication code" in a.stderr() + b.stderr(), 10)
    time.sleep(NODE_TIMEOUT_MS / 1000 * 1.5)
    assert b.myid() not in a.cli("CLUSTER", "NODES")
    assert b.info()["cluster_known_nodes"] == "1"
    assert a.cli("PING") == b.cli("PING") == "PONG"


def test_meet_to_a_port_that_is_not_a_bus(cluster_nodes):
    (a,) = cluster_nodes(1)
    # The HTTP listener answers, but not in the bus's protocol; a closed port does not answer.
    assert a.cli("CLUSTER", "MEET", "127.0.0.1", a.http_port, a.http_port) == "OK"
    assert a.cli("CLUSTER", "MEET", "127.0.0.1", free_port(), free_port()) == "OK"
    assert "handshake" in a.cli("CLUSTER", "NODES")
    assert wait_until(lambda: "handshake" not in a.cli("CLUSTER", "NODES"), 10)
    assert a.info()["cluster_known_nodes"] == "1"
    assert "cluster handshake timed out" in a.stderr()
    assert a.cli("CLUSTER", "MEET", "no.such.address", "1") == "ERR Invalid node address specified: no.such.address:1"
    assert a.cli("PING") == "PONG"


def test_forget_and_gossip(cluster_nodes):
    a, b, c = cluster_nodes(3)
    assert meet_bus(a, b) == "OK"
    assert meet_bus(a, c) == "OK"
    # b and c learn of each other from a's gossip.
    assert wait_until(lambda: know_each_other([a, b, c]), 10)
    c_id = c.myid()
    assert a.cli("CLUSTER", "FORGET", c_id) == "OK"
    assert b.cli("CLUSTER", "FORGET", c_id) == "OK"
    assert a.cli("CLUSTER", "FORGET", a.myid()) == "ERR I tried hard but I can't forget myself..."
    assert a.cli("CLUSTER", "FORGET", "f" * 40) == f"ERR Unknown node {'f' * 40}"
    time.sleep(1)
    assert c_id not in a.cli("CLUSTER", "NODES")
    assert a.info()["cluster_known_nodes"] == "2"


def fill(node: ClusterNode, n: int) -> None:
    redis = pytest.importorskip("redis.cluster")
    rc = redis.RedisCluster(host="127.0.0.1", port=node.port)
    pipe = rc.pipeline()
    for i in range(n):
        pipe.set(f"k{i}", f"v{i}")
    pipe.execute()
    rc.close()


def total_keys(nodes) -> int:
    return sum(int(n.cli("DBSIZE")) for n in nodes)


def manager(*args) -> subprocess.CompletedProcess:
    return subprocess.run([REDIS_CLI, "--cluster", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120, text=True)


def test_migrate_moves_keys_with_their_ttl(cluster_nodes):
    a, b = cluster_nodes(2)
    assert a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == "OK"
    assert a.cli("SET", "{t}1", "one", "PX", "60000") == "OK"
    assert a.cli("SET", "{t}2", "two") == "OK"
    # b is a one-node cluster of its own here: MIGRATE needs only a cachenode to talk to.
    assert b.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == "OK"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "", 0, 1000, "KEYS", "{t}1", "{t}2", "{t}3") == "OK"
    assert a.cli("EXISTS", "{t}1", "{t}2") == "0"
    assert b.cli("DBSIZE") == "2"
    assert 0 < int(b.cli("PTTL", "{t}1")) <= 60000
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "{t}9", 0, 1000) == "NOKEY"
    assert a.cli("SET", "{t}2", "again") == "OK"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "{t}2", 0, 1000) == \
        "ERR Target instance replied with error: BUSYKEY Target key name already exists."
    assert a.cli("GET", "{t}2") == "again"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "{t}2", 0, 1000, "COPY", "REPLACE") == "OK"
    assert a.cli("GET", "{t}2") == "again"
    assert a.cli("MIGRATE", "127.0.0.1", free_port(), "{t}2", 0, 200) == \
        "IOERR error or timeout connecting to the client"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "{t}2", 1, 1000).startswith("ERR cachenode has a single database")
    assert b.cli("RESTORE-ASKING", "x", "0", "not a payload") == "ERR DUMP payload version or checksum are wrong"
    # A hash travels whole, in DUMP's payload.
    assert a.cli("HSET", "{t}h", "f1", "v1", "f2", "v2") == "2"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "{t}h", 0, 1000) == "OK"
    assert a.cli("EXISTS", "{t}h") == "0"
    assert sorted(b.cli("HGETALL", "{t}h").splitlines()) == ["f1", "f2", "v1", "v2"]


def test_migrate_passes_auth(cluster_nodes):
    (a,) = cluster_nodes(1)
    (b,) = cluster_nodes(1, "--requirepass", "pw")
    assert a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == "OK"
    assert b.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383", extra=("-a", "pw", "--no-auth-warning")) == "OK"
    assert a.cli("SET", "k", "v") == "OK"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "k", 0, 1000, "AUTH", "nope").startswith(
        "ERR Target instance replied with error: WRONGPASS")
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "k", 0, 1000, "AUTH", "pw") == "OK"
    assert b.cli("GET", "k", extra=("-a", "pw", "--no-auth-warning")) == "v"


# The cluster tests' longest by far (121 s of this file's 157 in a normal build on a loaded
# machine; more with the sanitizers): thousands of slot moves beside a benchmark's traffic
# repeat the MIGRATE and SETSLOT path that test_migrate_moves_keys_with_their_ttl and
# test_http_clients_during_a_reshard take under the sanitizers too.
@pytest.mark.skipif(sanitized_build(), reason="thousands of slot moves repeat one path for minutes: the normal build "
                    "runs it; test_migrate_* and test_http_clients_during_a_reshard take that path here")
def test_reshard_add_node_rebalance_del_node(cluster_nodes):
    nodes = cluster_nodes(3)
    assert create(nodes).returncode == 0
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10)
    fill(nodes[0], 2000)
    ids = [n.myid() for n in nodes]
    # redis-benchmark --cluster writes (to keys of its own) all through the reshard.
    bench = subprocess.Popen(["redis-benchmark", "-p", str(nodes[0].port), "--cluster", "-t", "set", "-n", "10000000",
                              "-c", "4", "-r", "1000", "-q", "--csv"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        r = manager("reshard", nodes[0].addr, "--cluster-from", ids[0], "--cluster-to", ids[1], "--cluster-slots",
                    4096, "--cluster-yes")
        assert r.returncode == 0, r.stdout[-2000:]
    finally:
        bench.terminate()
        out, _ = bench.communicate(timeout=20)
    assert "error" not in out.lower(), out[-2000:]
    r = check(nodes[2])
    assert r.returncode == 0 and "[OK] All 16384 slots covered." in r.stdout, r.stdout
    assert "[WARNING]" not in r.stdout
    # The benchmark's keys are there too: count only ours.
    redis = pytest.importorskip("redis.cluster")
    rc = redis.RedisCluster(host="127.0.0.1", port=nodes[1].port)
    assert all(rc.get(f"k{i}") == f"v{i}".encode() for i in range(0, 2000, 7))
    rc.close()
    before = total_keys(nodes)
    # A fourth node joins, takes its share, then gives it back and leaves.
    (extra,) = cluster_nodes(1)
    r = manager("add-node", extra.addr, nodes[0].addr)
    assert r.returncode == 0, r.stdout
    assert wait_until(lambda: know_each_other(nodes + [extra]), 10)
    r = manager("rebalance", nodes[0].addr, "--cluster-use-empty-masters")
    assert r.returncode == 0, r.stdout[-2000:]
    assert int(extra.cli("DBSIZE")) > 0
    assert total_keys(nodes + [extra]) == before
    # redis-cli refuses to reshard until every node's view of the slots is the same.  A node
    # can hold a stale owner for a moment after the rebalance: a ping from the old owner, sent
    # before it gave the slot away, wins while its epoch is the higher one the receiver knows,
    # until the new owner's bumped epoch reaches the receiver.  Redis converges the same way, and
    # its own tests wait for it.
    assert wait_until(lambda: agree(nodes[0]), 10)
    r = manager("reshard", nodes[0].addr, "--cluster-from", extra.myid(), "--cluster-to", ids[2], "--cluster-slots",
                16384, "--cluster-yes")
    assert r.returncode == 0, r.stdout[-2000:]
    r = manager("del-node", nodes[0].addr, extra.myid())
    assert r.returncode == 0, r.stdout
    assert total_keys(nodes) == before
    assert wait_until(lambda: all(n.info()["cluster_known_nodes"] == "3" for n in nodes), 10)
    assert wait_until(lambda: agree(nodes[0]), 10)  # as before the reshard, for that reshard's slots
    r = check(nodes[0])
    assert r.returncode == 0 and "[OK] All 16384 slots covered." in r.stdout, r.stdout


def test_a_killed_master_is_failed_by_the_majority(cluster_nodes, tmp_path):
    nodes = cluster_nodes(3)
    assert create(nodes).returncode == 0
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10)
    dead = nodes[2]
    dead_id = dead.myid()
    dead.proc.kill()
    dead.proc.wait()
    t0 = time.monotonic()

    def flagged(n, flag):
        line = next(x for x in n.cli("CLUSTER", "NODES").splitlines() if x.startswith(dead_id))
        return flag in line.split()[2].split(",")

    # Silent past the node timeout: fail? on each, then fail once both agree; without a
    # replica to take over, its slots are down, and so is the cluster.
    assert wait_until(lambda: all(flagged(n, "fail") for n in nodes[:2]), 10)
    assert time.monotonic() - t0 < 3 * NODE_TIMEOUT_MS / 1000 + 1
    assert all(n.info()["cluster_state"] == "fail" for n in nodes[:2])
    assert any("a majority of masters agree" in n.stderr() for n in nodes[:2])
    assert nodes[0].cli("SET", "x", "1").startswith("CLUSTERDOWN")
    # Back on the same ports with its nodes file: the others clear the FAIL and the cluster
    # is up again.
    back = Node(tmp_path, "--cluster", "--cluster-port", dead.bus_port, "--cluster-config-file", dead.nodes_file,
                "--cluster-node-timeout", NODE_TIMEOUT_MS)
    try:
        assert back.cli("CLUSTER", "MYID") == dead_id
        assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes[:2]), 15)
        assert not flagged(nodes[0], "fail")
    finally:
        assert back.stop().rc == 0

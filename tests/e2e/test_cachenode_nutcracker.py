"""Three cachenodes without --cluster behind twemproxy (nutcracker, ketama distribution): the
proxy spreads the keys over all three, redis-benchmark drives the cache through it, and every
value reads back through the proxy and, directly, from the one node that holds it."""
import re
import shutil
import socket
import subprocess

import pytest

from conftest import wait_until
from test_cachenode import REDIS_CLI, Node, free_port, stop_all
from test_cachenode_differential import Client

NUTCRACKER = shutil.which("nutcracker") or next(
    (p for p in ("/usr/sbin/nutcracker", "/usr/bin/nutcracker") if shutil.os.access(p, shutil.os.X_OK)), None)
REDIS_BENCHMARK = shutil.which("redis-benchmark")
pytestmark = [
    pytest.mark.skipif(NUTCRACKER is None, reason="nutcracker (twemproxy) is not installed"),
    pytest.mark.skipif(REDIS_CLI is None or REDIS_BENCHMARK is None, reason="redis-tools is not installed"),
]


@pytest.fixture
def proxied(tmp_path):
    """Three cachenodes and a nutcracker in front of them: (proxy port, nodes)."""
    nodes = [Node(tmp_path) for _ in range(3)]
    port, stats = free_port(), free_port()
    conf = tmp_path / "nutcracker.yml"
    conf.write_text(f"""cache:
  listen: 127.0.0.1:{port}
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  timeout: 5000
  servers:
""" + "".join(f"    - 127.0.0.1:{n.port}:1 node{i}\n" for i, n in enumerate(nodes)))
    assert subprocess.run([NUTCRACKER, "-t", "-c", conf], capture_output=True).returncode == 0
    log = tmp_path / "nutcracker.log"
    proxy = subprocess.Popen([NUTCRACKER, "-c", conf, "-s", str(stats), "-a", "127.0.0.1", "-o", log,
                              "-p", tmp_path / "nutcracker.pid"], stdin=subprocess.DEVNULL)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        assert wait_until(listening, 10), log.read_text() if log.exists() else "no log"
        yield port, nodes
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        assert all(r.rc == 0 for r in stop_all(nodes))


def cli(port: int, *args, input=None) -> str:
    p = subprocess.run([REDIS_CLI, "-p", str(port), *map(str, args)], input=input, capture_output=True, text=True,
                       timeout=60)
    return p.stdout.rstrip("\n")


def test_keys_spread_over_three_nodes_behind_nutcracker(proxied):
    port, nodes = proxied
    # Our own keys, through the proxy, in one pipe.
    script = "".join(f"SET user:{i} value-{i}\n" for i in range(600))
    assert cli(port, input=script).split("\n") == ["OK"] * 600
    counts = [int(n.cli("DBSIZE")) for n in nodes]
    assert sum(counts) == 600
    # ketama places each node on its ring by the name given in the configuration, not by the
    # port, so the shares are the same every run: uneven, as 3 nodes on a ring make them.
    assert counts == [130, 100, 370]
    # Read back through the proxy, and from the one node holding each key.
    script = "".join(f"GET user:{i}\n" for i in range(600))
    assert cli(port, input=script).split("\n") == [f"value-{i}" for i in range(600)]
    # One connection to each node for these 86 reads: a redis-cli run for each of them took the
    # test past its 300 s at load 30.
    direct = [Client(n.port) for n in nodes]
    for i in range(0, 600, 7):
        held = [c.call("GET", f"user:{i}") for c in direct]
        assert sorted(held, key=lambda v: v or b"") == [None, None, f"value-{i}".encode()], (i, held)
    for c in direct:
        c.s.close()
    assert cli(port, "DEL", "user:1") == "1"
    assert cli(port, "GET", "user:1") == ""
    assert sum(int(n.cli("DBSIZE")) for n in nodes) == 599


def test_redis_benchmark_through_nutcracker(proxied):
    port, nodes = proxied
    r = subprocess.run([REDIS_BENCHMARK, "-p", str(port), "-t", "set,get", "-n", "10000", "-r", "1000", "-c", "10",
                        "-d", "16", "-q", "--csv"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [line.split(",") for line in r.stdout.splitlines() if line.startswith('"SET"') or line.startswith('"GET"')]
    assert [row[0] for row in rows] == ['"SET"', '"GET"'], r.stdout
    assert all(float(row[1].strip('"')) > 0 for row in rows), r.stdout
    assert "error" not in (r.stdout + r.stderr).lower().replace("could not fetch server config", ""), r.stderr
    # Its keys (key:000000000000 .. key:000000000999) landed on all three nodes, each on one.
    counts = [int(n.cli("DBSIZE")) for n in nodes]
    assert all(c > 0 for c in counts), counts
    assert sum(counts) <= 1000
    keys = [k for n in nodes for k in n.cli("KEYS", "key:*").split("\n") if k]
    assert len(keys) == len(set(keys)) == sum(counts)
    # A value it wrote reads back the same through the proxy and from its node.
    k = keys[0]
    direct = next(v for n in nodes if (v := n.cli("GET", k)))
    assert cli(port, "GET", k) == direct
    assert len(direct) == 16
    # The proxy's connections to the nodes are one each, held open (twemproxy's pool): each
    # node counts it and redis-cli's own, once it has seen the earlier redis-cli runs close.
    def clients(n) -> int:
        return int(re.search(r"^connected_clients:(\d+)\r?$", n.cli("INFO", "clients"), re.M).group(1))
    for n in nodes:
        wait_until(lambda: clients(n) == 2, 10, f"the node on port {n.port} counting 2 clients")

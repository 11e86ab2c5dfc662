"""End-to-end tests of the book's HTTP API on a cachenode cluster: any node answers for every
key, forwarding to the slot's owner over RESP (one hop, marked, never forwarded again);
GET /cluster shows the cluster, /metrics its slots and nodes; a down owner is a 503 that says
which slot and node, and views that disagree about a slot end in a 503, not a loop."""
import http.client
import json
import re
import socket
import threading
import time

import pytest

from conftest import wait_until
from test_cachenode_cluster import ClusterNode, check, cluster_nodes, create, manager, meet_bus, know_each_other
from test_cachenode import REDIS_CLI
from test_json import check_fields

needs_redis_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed")
pytestmark = [needs_redis_cli, pytest.mark.xdist_group("cachenode-cluster-http")]

__all__ = ["cluster_nodes"]  # the fixture, imported for pytest to find


class Http:
    """One keep-alive HTTP connection to a node."""

    def __init__(self, node: ClusterNode):
        self.conn = http.client.HTTPConnection("127.0.0.1", node.http_port, timeout=20)

    def __call__(self, method: str, path: str, body: bytes | str | None = None):
        self.conn.request(method, path, body=body)
        r = self.conn.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}

    def close(self):
        self.conn.close()


def owners(node: ClusterNode) -> dict[int, str]:
    """Each slot's owner, "ip:port", from CLUSTER NODES."""
    table = {}
    for line in node.cli("CLUSTER", "NODES").splitlines():
        w = line.split()
        addr = w[1].split("@")[0]
        for s in w[8:]:
            if s.startswith("["):
                continue
            lo, _, hi = s.partition("-")
            for slot in range(int(lo), int(hi or lo) + 1):
                table[slot] = addr
    return table


def up_cluster(cluster_nodes, n=3, *args) -> list[ClusterNode]:
    nodes = cluster_nodes(n, *args)
    r = create(nodes)
    assert r.returncode == 0, r.stdout
    assert wait_until(lambda: all(x.info()["cluster_state"] == "ok" for x in nodes), 10)
    # Every node knows every slot's owner before the tests ask them.
    assert wait_until(lambda: all(len(owners(x)) == 16384 for x in nodes), 10)
    return nodes


def test_any_node_answers_for_every_key(cluster_nodes):
    nodes = up_cluster(cluster_nodes)
    table = owners(nodes[0])
    by_addr = {n.addr: n for n in nodes}
    keys = [f"user:{i}" for i in range(60)]
    slot_of = {k: int(nodes[0].cli("CLUSTER", "KEYSLOT", k)) for k in keys}
    assert {table[slot_of[k]] for k in keys} == set(by_addr), "the keys must cover every node"
    clients = [Http(n) for n in nodes]
    try:
        for i, k in enumerate(keys):
            # Set through one node, read through the next, delete through the third (REST).
            src, dst, third = clients[i % 3], clients[(i + 1) % 3], clients[(i + 2) % 3]
            owner = table[slot_of[k]]
            status, body, h = src("POST", "/set", json.dumps({"key": k, "value": f"v{i}", "ttl_ms": 60000}))
            assert status == 200, body
            forwarded = owner != nodes[i % 3].addr
            assert ("cachenode-node" in h) == forwarded, h
            if forwarded:
                assert h["cachenode-node"] == owner and h["cachenode-hops"] == "1", h
            status, body, h = dst("GET", f"/get?key={k}")
            assert (status, json.loads(body)) == (200, {"value": f"v{i}"})
            # The value is where it belongs, with its TTL.
            assert by_addr[owner].cli("GET", k) == f"v{i}"
            assert 0 < int(by_addr[owner].cli("PTTL", k)) <= 60000
            status, body, h = third("PUT", f"/v1/keys/{k}", b"raw\x00bytes")
            assert status == 204, body
            status, body, h = src("GET", f"/v1/keys/{k}")
            assert (status, body) == (200, b"raw\x00bytes")
            status, body, h = dst("DELETE", f"/v1/keys/{k}")
            assert status == 204, body
            status, body, h = third("GET", f"/get?key={k}")
            assert status == 404, body
            status, body, h = src("DELETE", f"/v1/keys/{k}")
            assert status == 404, body
        # HEAD through another node: the headers alone.
        k = keys[0]
        src = next(c for c, n in zip(clients, nodes) if n.addr != table[slot_of[k]])
        assert src("PUT", f"/v1/keys/{k}", b"x" * 1000)[0] == 204
        status, body, h = src("HEAD", f"/v1/keys/{k}")
        assert (status, body, h["content-length"]) == (200, b"", "1000")
    finally:
        for c in clients:
            c.close()
    # Every key went only to its owner; the forwarding connections are named on the owners.
    assert sum(int(n.cli("DBSIZE")) for n in nodes) == 1
    assert all("name=http-forward" in n.cli("CLIENT", "LIST") for n in nodes)


def test_pipelined_and_concurrent_requests(cluster_nodes):
    nodes = up_cluster(cluster_nodes)
    # Requests pipelined on one connection, to keys of every node, answered in order.
    raw = b"".join(f"PUT /v1/keys/p{i} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(str(i))}\r\n\r\n{i}".encode()
                   for i in range(200))
    raw += b"".join(f"GET /v1/keys/p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(200))
    raw += b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", nodes[0].http_port), timeout=20) as s:
        s.sendall(raw)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    statuses = re.findall(rb"HTTP/1.1 (\d+)", out)
    assert statuses == [b"204"] * 200 + [b"200"] * 201, statuses[:20]
    bodies = re.findall(rb"HTTP/1.1 200 OK\r\n(?:[^\r]+\r\n)*\r\n(\d+)", out)
    assert bodies == [str(i).encode() for i in range(200)]
    assert out.endswith(b"ok\n")
    # Clients of every node at once, each to keys of every node: the nodes forward to each other
    # at the same time without waiting on one another.
    errors = []

    def client(n, tag):
        c = Http(n)
        try:
            for i in range(150):
                k = f"c{tag}:{i}"
                if c("PUT", f"/v1/keys/{k}", k)[0] != 204:
                    errors.append(k)
                st, body, _ = c("GET", f"/v1/keys/{k}")
                if (st, body) != (200, k.encode()):
                    errors.append((k, st, body))
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(n, f"{i}{j}")) for i, n in enumerate(nodes) for j in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert time.monotonic() - t0 < 30
    assert sum(int(n.cli("DBSIZE")) for n in nodes) == 200 + 6 * 150


def test_get_cluster_and_metrics(cluster_nodes):
    nodes = up_cluster(cluster_nodes)
    ids = {n.myid(): n for n in nodes}
    c = Http(nodes[1])
    try:
        status, body, h = c("GET", "/cluster")
        assert status == 200 and h["content-type"] == "application/json", body
        assert body.endswith(b"\n") and body.count(b"\n") == 1
        view = json.loads(body)
        check_fields(view, "GET /cluster")
        assert view["state"] == "ok"
        assert view["myself"] == nodes[1].myid()
        assert (view["slots_assigned"], view["slots_ok"], view["known_nodes"], view["size"]) == (16384, 16384, 3, 3)
        assert {n["id"] for n in view["nodes"]} == set(ids)
        assert sum(n["slot_count"] for n in view["nodes"]) == 16384
        for n in view["nodes"]:
            node = ids[n["id"]]
            assert n["address"] == node.addr and n["bus_port"] == node.bus_port
            assert (n["role"], n["master"], n["state"], n["link"]) == ("master", None, "ok", "connected")
            assert n["myself"] == (node is nodes[1])
            assert n["slot_count"] == sum(hi - lo + 1 for lo, hi in n["slots"])
            assert n["migrating"] == [] and n["importing"] == []
            assert (n["last_pong"] is None) == n["myself"]
        status, body, _ = c("GET", "/metrics")
        page = body.decode()
        assert status == 200
        assert "cachenode_cluster_state 1\n" in page
        assert 'cachenode_cluster_slots{state="ok"} 16384\n' in page
        assert 'cachenode_cluster_nodes{role="master",state="ok"} 3\n' in page
        mine = next(n["slot_count"] for n in view["nodes"] if n["myself"])
        assert f"cachenode_cluster_myself_slots {mine}\n" in page
        # A slot being moved shows on both ends.
        a, b = nodes[1], nodes[2]
        slot = next(s for s, addr in owners(a).items() if addr == a.addr)
        assert b.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", a.myid()) == "OK"
        assert a.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", b.myid()) == "OK"
        me = next(n for n in json.loads(c("GET", "/cluster")[1])["nodes"] if n["myself"])
        assert me["migrating"] == [{"slot": slot, "node": b.myid()}]
        assert "cachenode_cluster_moving_slots 1\n" in c("GET", "/metrics")[1].decode()
        assert a.cli("CLUSTER", "SETSLOT", slot, "STABLE") == "OK"
        assert b.cli("CLUSTER", "SETSLOT", slot, "STABLE") == "OK"
    finally:
        c.close()


def test_without_cluster_there_is_no_cluster_page(tmp_path):
    from test_cachenode import Node
    n = Node(tmp_path)
    try:
        c = Http(n)
        status, body, _ = c("GET", "/cluster")
        assert (status, body) == (404, b"cluster mode is off: this cachenode was started without --cluster\n")
        assert c("PUT", "/v1/keys/k", "v")[0] == 204
        assert "cachenode_cluster" not in c("GET", "/metrics")[1].decode()
        c.close()
    finally:
        assert n.stop().rc == 0


def test_a_down_owner_is_a_503_naming_slot_and_node(cluster_nodes):
    nodes = up_cluster(cluster_nodes)
    table = owners(nodes[0])
    dead = nodes[2]
    dead_id = dead.myid()
    key = next(f"k{i}" for i in range(1000) if table[int(nodes[0].cli("CLUSTER", "KEYSLOT", f"k{i}"))] == dead.addr)
    slot = int(nodes[0].cli("CLUSTER", "KEYSLOT", key))
    c = Http(nodes[0])
    try:
        assert c("PUT", f"/v1/keys/{key}", "v")[0] == 204  # opens the pooled link to it
        dead.proc.kill()
        dead.proc.wait()
        # Before the cluster notices: the link breaks, a new one is refused.
        status, body, h = c("GET", f"/v1/keys/{key}")
        assert status == 503, body
        text = body.decode()
        assert f"slot {slot} is served by node {dead_id} ({dead.addr}), which is not reachable: " in text, text
        # Once the others flag it failed, without trying it; then the cluster is down.
        assert wait_until(lambda: "fail" in nodes[0].cli("CLUSTER", "NODES"), 10)
        status, body, h = c("GET", f"/get?key={key}")
        assert status == 503
        assert f"slot {slot} is served by node {dead_id} ({dead.addr})" in body.decode(), body
        assert wait_until(lambda: nodes[0].info()["cluster_state"] == "fail", 10)
        status, body, h = c("POST", "/set", json.dumps({"key": key, "value": "x"}))
        assert status == 503
        assert re.fullmatch(rf"slot {slot} is served by node {dead_id} \({re.escape(dead.addr)}\), which is down "
                            r"\(CLUSTERDOWN .*\)\n", body.decode()), body
    finally:
        c.close()


def migrating_unimported(a: ClusterNode, b: ClusterNode, key: str) -> int:
    """a serving every slot and b joined, a migrating key's slot to b, which does not import it:
    the slot, whose two nodes then send a request for key to each other."""
    assert a.cli("CLUSTER", "ADDSLOTSRANGE", 0, 16383) == "OK"
    assert meet_bus(a, b) == "OK"
    assert wait_until(lambda: know_each_other([a, b]), 10)
    assert wait_until(lambda: len(owners(b)) == 16384, 10)
    slot = int(a.cli("CLUSTER", "KEYSLOT", key))
    assert a.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", b.myid()) == "OK"
    return slot


def test_views_that_disagree_end_in_a_503_not_a_loop(cluster_nodes):
    """The book's loop: a thinks b serves the slot, b thinks a does.  a migrating the slot to b
    that b does not import gives exactly that: a answers ASK b for a key it lacks, b answers
    MOVED a.  Every request ends in a 503 after rounds of max_hops nodes with waits between them
    (forward.hpp's retry_waits_ms: 750 ms), whichever node it reached."""
    a, b = cluster_nodes(2)
    key = "loop"
    slot = migrating_unimported(a, b, key)
    assert a.cli("GET", key) == f"ASK {slot} {b.addr}"
    assert b.cli("GET", key) == f"MOVED {slot} {a.addr}"
    for n in (a, b):
        c = Http(n)
        try:
            t0 = time.monotonic()
            status, body, h = c("GET", f"/v1/keys/{key}")
            assert status == 503, body
            assert 0.75 <= time.monotonic() - t0 < 2.5
            assert re.match(rf"slot {slot} is moving: redirected on after 3 nodes, the last .*, "
                            r"in each of 5 tries over 750 ms\n", body.decode()), body
            assert h["cachenode-hops"] == "15"
            # Still serving: a key of another slot, and the node itself.
            assert c("PUT", "/v1/keys/other", "v")[0] == 204
            assert c("GET", "/healthz")[0] == 200
        finally:
            c.close()
    # With b importing, the same request lands on b after one ASK.
    assert b.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", a.myid()) == "OK"
    c = Http(a)
    try:
        status, body, h = c("PUT", f"/v1/keys/{key}", "moved")
        assert status == 204, body
        assert (h["cachenode-node"], h["cachenode-hops"]) == (b.addr, "1")
    finally:
        c.close()
    assert b.cli("CLUSTER", "COUNTKEYSINSLOT", slot) == "1"


# The IMPORTING must land within the request's 750 ms of tries, by a redis-cli started 0.2 s
# after it: beside the parallel tests it came too late in 2 of 3 runs.  It runs alone.
@pytest.mark.serial
def test_a_moving_slot_is_tried_again_after_a_wait(cluster_nodes):
    """A slot whose nodes disagree for a moment, as during a migration (a MIGRATING before the
    other end's IMPORTING): the request bounces, waits, and is tried again, so it succeeds once
    they agree instead of ending in a 503."""
    a, b = cluster_nodes(2)
    key = "later"
    slot = migrating_unimported(a, b, key)
    got = {}

    def put():
        c = Http(a)
        try:
            t0 = time.monotonic()
            got["reply"] = c("PUT", f"/v1/keys/{key}", "v")
            got["seconds"] = time.monotonic() - t0
        finally:
            c.close()

    t = threading.Thread(target=put)
    t.start()
    time.sleep(0.2)
    assert b.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", a.myid()) == "OK"
    t.join()
    status, body, h = got["reply"]
    assert status == 204, body
    # Bounced for a round at least, then sent to b with ASKING.
    assert h["cachenode-node"] == b.addr and int(h["cachenode-hops"]) > 3, h
    assert 0.2 <= got["seconds"] < 2
    assert b.cli("CLUSTER", "COUNTKEYSINSLOT", slot) == "1"


def test_http_clients_during_a_reshard(cluster_nodes):
    nodes = up_cluster(cluster_nodes)
    ids = [n.myid() for n in nodes]
    stop = threading.Event()
    errors, done = [], [0]

    def client(tag):
        conns = [Http(n) for n in nodes]
        try:
            i = 0
            while not stop.is_set():
                k = f"r{tag}:{i % 300}"
                v = f"{tag}-{i}"
                st, body, _ = conns[i % 3]("PUT", f"/v1/keys/{k}", v)
                if st != 204:
                    errors.append(("put", k, st, body))
                st, body, _ = conns[(i + 1) % 3]("GET", f"/v1/keys/{k}")
                if (st, body) != (200, v.encode()):
                    errors.append(("get", k, st, body))
                i += 1
                done[0] += 1
        finally:
            for c in conns:
                c.close()

    threads = [threading.Thread(target=client, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        r = manager("reshard", nodes[0].addr, "--cluster-from", ids[0], "--cluster-to", ids[1], "--cluster-slots",
                    1000, "--cluster-yes")
        assert r.returncode == 0, r.stdout[-2000:]
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == [], errors[:10]
    assert done[0] > 100
    r = check(nodes[2])
    assert r.returncode == 0 and "[OK] All 16384 slots covered." in r.stdout, r.stdout
    assert sum(int(n.cli("DBSIZE")) for n in nodes) == 600

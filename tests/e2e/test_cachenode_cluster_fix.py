"""redis-cli --cluster fix on a cluster of cachenodes: a slot left open by a reshard stopped
half-way (MIGRATING on one node, IMPORTING on the other, its keys split between them) and slots
no node serves (some empty, one whose keys one node still holds) are closed and covered, after
which --cluster check is OK and every key is readable."""
import subprocess

import pytest

from conftest import wait_until
from test_cachenode_cluster import check, cluster_nodes, create, fill, total_keys
from test_cachenode import REDIS_CLI

needs_redis_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed")
pytestmark = [needs_redis_cli, pytest.mark.xdist_group("cachenode-cluster-fix")]

__all__ = ["cluster_nodes"]  # the fixture, imported for pytest to find


def key_slot(key: str) -> int:
    """Redis Cluster's slot of a key: CRC16 (XMODEM) of it, or of its {hash tag}."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    crc = 0
    for byte in key.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc % 16384


def slots_of(node) -> set[int]:
    """The slots node says it owns."""
    line = next(x for x in node.cli("CLUSTER", "NODES").splitlines() if "myself" in x)
    out = set()
    for s in line.split()[8:]:
        if s.startswith("["):
            continue
        lo, _, hi = s.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def test_fix_closes_open_slots_and_covers_the_rest(cluster_nodes):
    # Nothing here waits on failure detection: a node timeout well above the one-second default
    # of these tests, so that a node the sanitizers and a loaded machine keep silent for a
    # second is not flagged FAIL, and the cluster down, in the middle of the test.
    nodes = cluster_nodes(3, node_timeout_ms=5000)
    assert create(nodes).returncode == 0
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10)
    a, b, c = nodes
    a_id, b_id = a.myid(), b.myid()
    assert key_slot("{user1000}.following") == int(a.cli("CLUSTER", "KEYSLOT", "{user1000}.following"))
    # Keys of a slot of a's and of a slot of c's, and 2000 spread over all.
    a_slots, c_slots = slots_of(a), slots_of(c)
    open_tag = next(f"o{i}" for i in range(10000) if key_slot(f"o{i}") in a_slots)
    c_tag = next(f"c{i}" for i in range(10000) if key_slot(f"c{i}") in c_slots)
    open_slot, with_keys = key_slot(open_tag), key_slot(c_tag)
    fill(a, 2000)
    redis = pytest.importorskip("redis.cluster")
    rc = redis.RedisCluster(host="127.0.0.1", port=a.port)
    moving = [f"{{{open_tag}}}:{i}" for i in range(20)]
    for k in moving:
        rc.set(k, k)
    for i in range(5):
        rc.set(f"{{{c_tag}}}:{i}", "c")
    rc.close()
    before = total_keys(nodes)
    kept = int(c.cli("CLUSTER", "COUNTKEYSINSLOT", with_keys))
    # An open slot: a reshard from a to b stopped after moving some of the slot's keys.
    assert b.cli("CLUSTER", "SETSLOT", open_slot, "IMPORTING", a_id) == "OK"
    assert a.cli("CLUSTER", "SETSLOT", open_slot, "MIGRATING", b_id) == "OK"
    assert a.cli("MIGRATE", "127.0.0.1", b.port, "", 0, 5000, "KEYS", *moving[:8]) == "OK"
    # Uncovered slots: c lets go of ten empty slots, and of one where it still holds keys.
    filled = {key_slot(f"k{i}") for i in range(2000)}
    empty = sorted(s for s in c_slots if s != with_keys and s not in filled)[:10]
    assert c.cli("CLUSTER", "DELSLOTS", *empty) == "OK"
    assert c.cli("CLUSTER", "DELSLOTS", with_keys) == "OK"
    r = check(a)
    assert r.returncode != 0, r.stdout
    assert f"[WARNING] Node {a.addr} has slots in migrating state {open_slot}" in r.stdout, r.stdout
    assert f"[WARNING] Node {b.addr} has slots in importing state {open_slot}" in r.stdout, r.stdout
    assert "[ERR] Not all 16384 slots are covered by nodes." in r.stdout, r.stdout

    # fix asks before covering slots even with --cluster-yes: it reads the answers.
    r = subprocess.run([REDIS_CLI, "--cluster", "fix", a.addr, "--cluster-yes"], input="yes\n" * 3,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
    assert f">>> Covering slot {with_keys} with {c.addr}" in r.stdout, r.stdout[-3000:]
    assert wait_until(lambda: check(b).returncode == 0, 10), check(b).stdout
    r = check(c)
    assert "[OK] All nodes agree about slots configuration." in r.stdout, r.stdout
    assert "[OK] All 16384 slots covered." in r.stdout, r.stdout
    assert "[WARNING]" not in r.stdout, r.stdout
    # The open slot ended on one node with all its keys; the slot with keys on c is c's again,
    # and the empty ones went to some master.
    assert total_keys(nodes) == before
    assert with_keys in slots_of(c)
    assert c.cli("CLUSTER", "COUNTKEYSINSLOT", with_keys) == str(kept)
    owner = next(n for n in nodes if open_slot in slots_of(n))
    assert owner.cli("CLUSTER", "COUNTKEYSINSLOT", open_slot) == "20"
    rc = redis.RedisCluster(host="127.0.0.1", port=b.port)
    assert all(rc.get(k) == k.encode() for k in moving)
    assert all(rc.get(f"k{i}") == f"v{i}".encode() for i in range(2000))
    rc.close()

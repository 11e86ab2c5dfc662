"""End-to-end tests of TLS between the nodes of a cachenode cluster (--tls-cert, --tls-key and
--tls-ca-cert with --cluster): a cluster made and driven by redis-cli --tls, its bus, replication,
MIGRATE (reshard) and HTTP forwarding over TLS, a failover over TLS, and peers that speak plain
TCP or show a certificate another CA signed refused, logged, and the node serving on.

The test makes its certificates with openssl: a CA, a certificate it signed for 127.0.0.1 that
every node shows, and a foreign CA with a certificate of its own."""
import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_until
from test_cachenode import CURL, OPENSSL, REDIS_CLI
from test_cachenode_cluster import ClusterNode, cluster_nodes
from test_cachenode_cluster_repl import slots_of, tag_in

pytestmark = [pytest.mark.skipif(REDIS_CLI is None or OPENSSL is None or CURL is None,
                                 reason="redis-cli, openssl or curl is not installed"),
              pytest.mark.xdist_group("cachenode-cluster-tls")]

__all__ = ["cluster_nodes"]  # the fixture, imported for pytest to find

# Twice the other cluster tests' node timeout: a TLS handshake takes two more round trips, and
# a MEET's handshake must end within the node timeout (at least 1 s), which the sanitizer build
# on a loaded CI machine does not always manage.
NODE_TIMEOUT_MS = 2000


def openssl(*args, cwd: Path) -> None:
    subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


class Pki:
    """A CA and a certificate it signed for 127.0.0.1 (both serverAuth and clientAuth: a node
    is both ends of its connections), as PEM files in a folder."""

    def __init__(self, folder: Path, name: str):
        folder.mkdir()
        self.ca, ca_key = folder / "ca.pem", folder / "ca.key"
        self.cert, self.key = folder / "node.pem", folder / "node.key"
        ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
        openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca, "-days", "1", "-subj", f"/CN={name} CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                cwd=folder)
        openssl("req", *ec, "-keyout", self.key, "-out", "node.csr", "-subj", f"/CN={name} node", cwd=folder)
        (folder / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                    "extendedKeyUsage=serverAuth,clientAuth\n")
        openssl("x509", "-req", "-in", "node.csr", "-CA", self.ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "1",
                "-extfile", "ext", "-out", self.cert, cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    yield Pki(folder / "cluster", "cluster"), Pki(folder / "foreign", "foreign")
    shutil.rmtree(folder)


class TlsNode(ClusterNode):
    """A cluster node with TLS: its own listeners and its peers'."""

    def __init__(self, tmp_path: Path, certs: Pki, peers_ca: Path, *args):
        """certs: its certificate and the CA its clients check it with; peers_ca: --tls-ca-cert."""
        self.client_tls = ("--tls", "--cacert", str(certs.ca))
        super().__init__(tmp_path, "--tls-cert", certs.cert, "--tls-key", certs.key, "--tls-ca-cert", peers_ca, *args,
                         node_timeout_ms=NODE_TIMEOUT_MS)

    def cli(self, *args, extra=(), input=None) -> str:
        return super().cli(*args, extra=(*self.client_tls, *extra), input=input)

    def curl_get(self, key: str, ca: Path) -> tuple[int, bytes]:
        return self.curl("--cacert", ca, self.url(f"/get?key={key}", scheme="https"))


@pytest.fixture
def tls_nodes(tmp_path, pki):
    nodes = []
    cluster, _ = pki

    def _start(n: int, *args, certs: Pki | None = None, ca: Path | None = None) -> list[TlsNode]:
        c = certs or cluster
        new = [TlsNode(tmp_path, c, ca or c.ca, *args) for _ in range(n)]
        nodes.extend(new)
        return new

    yield _start
    for n in nodes:
        if n.proc.poll() is not None and n.proc.returncode == -signal.SIGKILL:
            n.err.close()  # killed by the test on purpose
            continue
        r = n.stop()
        assert r.rc == 0, r


def manager(ca: Path, *args) -> subprocess.CompletedProcess:
    """redis-cli --tls --cluster ARGS."""
    return subprocess.run([REDIS_CLI, "--tls", "--cacert", str(ca), "--cluster", *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, text=True)


def role(n: TlsNode) -> str:
    return n.cli("ROLE").splitlines()[0]


def test_a_cluster_over_tls(tls_nodes, pki):
    cluster, _ = pki
    nodes = tls_nodes(6)
    r = manager(cluster.ca, "create", *(n.addr for n in nodes), "--cluster-replicas", 1, "--cluster-yes")
    assert r.returncode == 0, r.stdout
    assert "[OK] All 16384 slots covered." in r.stdout
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in nodes), 10)
    masters = [n for n in nodes if role(n) == "master"]
    replicas = [n for n in nodes if role(n) == "slave"]
    assert len(masters) == 3 and len(replicas) == 3
    # The replicas' streams come over the TLS bus.
    assert wait_until(lambda: all("master_link_status:up" in n.cli("INFO", "replication") for n in replicas), 10)
    r = manager(cluster.ca, "check", nodes[1].addr)
    assert r.returncode == 0 and "[OK] All nodes agree about slots configuration." in r.stdout, r.stdout
    # The ports announced are the TLS listeners' (the only ones a TLS node has).
    for line in nodes[0].cli("CLUSTER", "NODES").splitlines():
        assert re.match(r"^[0-9a-f]{40} 127\.0\.0\.1:(\d+)@(\d+) ", line), line
    assert {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)@", nodes[0].cli("CLUSTER", "NODES"))} == \
        {n.port for n in nodes}
    slots = nodes[0].cli("CLUSTER", "SLOTS").splitlines()
    assert {int(x) for x in slots if x.isdigit() and int(x) in {n.port for n in nodes}} == {n.port for n in nodes}
    shards = nodes[0].cli("CLUSTER", "SHARDS").splitlines()
    assert shards.count("tls-port") == 6 and "port" not in shards, shards

    # redis-cli -c --tls follows the redirections: 1,000 keys set and read back.
    script = "".join(f"SET tls:{i} v{i}\n" for i in range(1000)) + "".join(f"GET tls:{i}\n" for i in range(1000))
    p = subprocess.run([REDIS_CLI, "-c", "--tls", "--cacert", str(cluster.ca), "-p", str(nodes[0].port)],
                       input=script, stdout=subprocess.PIPE, text=True, timeout=60)
    lines = [line for line in p.stdout.split("\n") if not line.startswith("-> Redirected")]
    assert lines[:1000] == ["OK"] * 1000
    assert lines[1000:2000] == [f"v{i}" for i in range(1000)]
    m = masters[0]
    assert m.cli("WAIT", "1", "1000") == "1"

    # The HTTP API (HTTPS on a TLS node) answers for every key, forwarding over TLS.
    for n in nodes:
        code, body = n.curl_get("tls:7", cluster.ca)
        assert code == 200 and json.loads(body) == {"value": "v7"}, (code, body)

    # MIGRATE over TLS: a reshard moves slots and their keys from one master to another.
    before = sum(int(n.cli("DBSIZE")) for n in masters)
    taker_before = int(masters[1].cli("DBSIZE"))
    r = manager(cluster.ca, "reshard", nodes[0].addr, "--cluster-from", masters[0].myid(), "--cluster-to",
                masters[1].myid(), "--cluster-slots", 500, "--cluster-yes")
    assert r.returncode == 0, r.stdout[-2000:]
    assert "Moving slot" in r.stdout
    assert sum(int(n.cli("DBSIZE")) for n in masters) == before
    assert int(masters[1].cli("DBSIZE")) > taker_before
    assert nodes[2].cli("MIGRATE", "127.0.0.1", masters[1].port, "no-such-key", 0, 1000) == "NOKEY"

    # A failover over TLS: the master killed, its replica elected by the other masters.
    dead = masters[2]
    heir = next(n for n in replicas if n.cli("ROLE").splitlines()[2] == str(dead.port))
    tag = tag_in(dead, slots_of(dead))
    assert dead.cli("SET", f"{tag}kept", "yes") == "OK"
    assert dead.cli("WAIT", "1", "1000") == "1"
    dead.proc.send_signal(signal.SIGKILL)
    dead.proc.wait()
    t0 = time.monotonic()
    assert wait_until(lambda: role(heir) == "master", 3 * NODE_TIMEOUT_MS / 1000, step=0.05)
    assert time.monotonic() - t0 < 3 * NODE_TIMEOUT_MS / 1000
    assert heir.cli("GET", f"{tag}kept") == "yes"
    others = [n for n in nodes if n is not dead]
    assert wait_until(lambda: all(n.info()["cluster_state"] == "ok" for n in others), 10)
    assert nodes[0].cli("GET", f"{tag}kept", extra=("-c",)) == "yes"
    assert not any("TLS" in n.stderr() for n in others), [n.stderr() for n in others if "TLS" in n.stderr()]


def bus_refusals(n: ClusterNode) -> str:
    return "\n".join(line for line in n.stderr().splitlines() if "cluster bus connection closed" in line)


def test_a_plaintext_bus_peer_is_refused(tls_nodes, cluster_nodes):
    (a,) = tls_nodes(1)
    (b,) = cluster_nodes(1)
    # Each way: b (plain TCP) to a, a (TLS) to b.
    assert b.cli("CLUSTER", "MEET", "127.0.0.1", a.port, a.bus_port) == "OK"
    assert a.cli("CLUSTER", "MEET", "127.0.0.1", b.port, b.bus_port) == "OK"
    assert wait_until(lambda: "TLS handshake failed" in bus_refusals(a), 10), a.stderr()
    assert wait_until(lambda: "not a cachenode cluster bus frame" in bus_refusals(b), 10), b.stderr()
    assert wait_until(lambda: "handshake" not in a.cli("CLUSTER", "NODES") + b.cli("CLUSTER", "NODES"), 10)
    assert a.info()["cluster_known_nodes"] == "1"
    assert b.info()["cluster_known_nodes"] == "1"
    assert a.cli("PING") == "PONG" and b.cli("PING") == "PONG"


def test_a_peer_with_a_foreign_certificate_is_refused(tls_nodes, pki):
    cluster, foreign = pki
    a, b = tls_nodes(2)
    # c trusts the cluster's CA, but shows a certificate another CA signed.
    (c,) = tls_nodes(1, certs=foreign, ca=cluster.ca)
    assert a.cli("CLUSTER", "MEET", "127.0.0.1", b.port, b.bus_port) == "OK"
    assert c.cli("CLUSTER", "MEET", "127.0.0.1", a.port, a.bus_port) == "OK"
    assert a.cli("CLUSTER", "MEET", "127.0.0.1", c.port, c.bus_port) == "OK"
    assert wait_until(lambda: b.myid() in a.cli("CLUSTER", "NODES") and a.myid() in b.cli("CLUSTER", "NODES"), 10)
    # a refuses c as a client of its bus and as the server it reached.
    assert wait_until(lambda: bus_refusals(a).count("the peer's certificate") >= 2, 10), a.stderr()
    assert wait_until(lambda: "handshake" not in a.cli("CLUSTER", "NODES"), 10)
    assert c.myid() not in a.cli("CLUSTER", "NODES") + b.cli("CLUSTER", "NODES")
    assert a.info()["cluster_known_nodes"] == "2"
    assert c.info()["cluster_known_nodes"] == "1"
    # MIGRATE to c fails in its handshake, and says so.
    assert a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == "OK"
    assert a.cli("SET", "k", "v") == "OK"
    assert a.cli("MIGRATE", "127.0.0.1", c.port, "k", 0, 1000).startswith(
        "IOERR TLS handshake with the target failed: the peer's certificate:")
    assert a.cli("GET", "k") == "v"
    assert a.cli("PING") == "PONG" and c.cli("PING") == "PONG"


def test_tls_cluster_options(run, pki, tmp_path):
    cluster, _ = pki
    tls = ("--tls-cert", cluster.cert, "--tls-key", cluster.key)
    r = run("cachenode", "--check-config", "--cluster", *tls)
    assert r.rc == 2 and r.err.startswith("cachenode: --tls-ca-cert: "), r
    r = run("cachenode", "--check-config", "--tls-ca-cert", cluster.ca, *tls)
    assert r.rc == 2 and "--cluster" in r.err, r
    r = run("cachenode", "--check-config", "--cluster", "--tls-ca-cert", tmp_path / "none", *tls)
    assert r.rc == 2 and r.err.startswith("cachenode: --tls-ca-cert: ") and "none" in r.err, r
    r = run("cachenode", "--check-config", "--cluster", "--tls-ca-cert", cluster.ca, *tls)
    assert r.rc == 0 and "tls=on" in r.text, r

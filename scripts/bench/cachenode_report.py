#!/usr/bin/env python3
"""Prints cachenode's benchmark against redis-server and the book's Go cache from the
measurements scripts/bench/cachenode.sh left in TMP, with a PASS or FAIL per target;
exits 1 when a target is missed.
"""
import csv, glob, re, statistics, sys
(tmp, runs, http_runs, redis_version, cnN_threads, clk_tck, mem_redis_keys, mem_cn_keys, mem_redis_rss,
 mem_cn_rss, default_policy, cpus) = sys.argv[1:]
ok = True
med = statistics.median


def verdict(good: bool) -> str:
    global ok
    ok &= good
    return "PASS" if good else "FAIL"


# {(server, depth, test): {round: (rps, p99)}}
figures = {}
for path in glob.glob(f"{tmp}/rb-*.csv"):
    server, depth, rnd = re.match(r".*/rb-(\w+)-(\d+)-(\d+)\.csv$", path).groups()
    for row in csv.DictReader(open(path)):
        per_round = figures.setdefault((server, int(depth), row["test"]), {})
        per_round[int(rnd)] = (float(row["rps"]), float(row["p99_latency_ms"]))


# {(server, depth, test): [microseconds of the server's CPU per operation, each round]}, and the
# same of redis-benchmark's CPU against that server; and the times per 1000 operations that the
# server, and the client, went to sleep waiting.
cpu_per_op, client_per_op, server_sleeps, client_sleeps = {}, {}, {}, {}
for path in glob.glob(f"{tmp}/rb-*.ticks"):
    server, depth = re.match(r".*/rb-(\w+)-(\d+)-\d+\.ticks$", path).groups()
    for line in open(path):
        ticks, n, cu, cs, sz, cz, test = line.rstrip("\n").split(" ", 6)
        key = (server, int(depth), test)
        cpu_per_op.setdefault(key, []).append(int(ticks) / float(clk_tck) * 1e6 / int(n))
        client_per_op.setdefault(key, []).append((float(cu) + float(cs)) * 1e6 / int(n))
        server_sleeps.setdefault(key, []).append(int(sz) * 1e3 / int(n))
        client_sleeps.setdefault(key, []).append(int(cz) * 1e3 / int(n))


def cpu_line(depth, test, label):
    """The servers' CPU time per operation, and the client's against each, and how often each
    went to sleep (each time a server's loop sleeps, the client's next request has to wake it),
    medians over the rounds."""
    r, c, n = (med(cpu_per_op[(s, depth, test)]) for s in ("redis", "cn1", "cnN"))
    cr, cc = (med(client_per_op[(s, depth, test)]) for s in ("redis", "cn1"))
    sr, sc = (med(server_sleeps[(s, depth, test)]) for s in ("redis", "cn1"))
    zr, zc = (med(client_sleeps[(s, depth, test)]) for s in ("redis", "cn1"))
    return (f"  -P {depth:<2} {label}  server CPU per op: redis {r:.2f} us, cachenode -t 1 {c:.2f} us ({c / r:.2f}x), "
            f"cachenode -t {cnN_threads} {n:.2f} us; redis-benchmark's against redis {cr:.2f} us, "
            f"against cachenode -t 1 {cc:.2f} us ({cc / cr:.2f}x)\n"
            f"  -P {depth:<2} {label}  sleeps per 1000 ops: redis {sr:.2f}, cachenode -t 1 {sc:.2f}; "
            f"redis-benchmark's against redis {zr:.2f}, against cachenode -t 1 {zc:.2f}")


def medians(server, depth, test):
    rounds = figures[(server, depth, test)].values()
    return med(r for r, _ in rounds), med(p for _, p in rounds)


def ratios(server, depth, test, field):
    """server's figure / Redis's in the same round, for each round: the machine's speed drifts
    between rounds (the medians of the figures above can come from different rounds), and a
    ratio within one round cancels that."""
    ours, theirs = figures[(server, depth, test)], figures[("redis", depth, test)]
    return [ours[r][field] / theirs[r][field] for r in sorted(ours)]


def ratio(server, depth, test, field):
    return med(ratios(server, depth, test, field))


names = {"redis": f"redis {redis_version}", "cn1": "cachenode -t 1", "cnN": f"cachenode -t {cnN_threads}"}
print(f"cachenode benchmark: redis-server {redis_version} vs cachenode, {cpus} CPUs, one run")
print(f"redis-benchmark -t set,get -c 50 -d 100, {runs} interleaved rounds: medians, and medians of "
      "each round's ratio to Redis")
HGET = "HGET myhash element:__rand_int__"
for depth in (1, 16):
    for test in ("SET", "GET"):
        r_rps, r_p99 = medians("redis", depth, test)
        c_rps, c_p99 = medians("cn1", depth, test)
        n_rps, n_p99 = medians("cnN", depth, test)
        print(f"  -P {depth:<2} {test}  {names['redis']}: {r_rps:9.0f} ops/s p99 {r_p99:.3f} ms"
              f" | {names['cn1']}: {c_rps:9.0f} ops/s p99 {c_p99:.3f} ms"
              f" | {names['cnN']}: {n_rps:9.0f} ops/s p99 {n_p99:.3f} ms")
        rps_x, p99_x = ratio("cn1", depth, test, 0), ratio("cn1", depth, test, 1)
        print(f"  -P {depth:<2} {test}  cachenode -t 1 / redis: ops/s {rps_x:.2f}x (target >= 1.00): "
              f"{verdict(rps_x >= 1)}; p99 {p99_x:.2f}x (target <= 1.00): {verdict(p99_x <= 1)}"
              f"; cachenode -t {cnN_threads} / redis: {ratio('cnN', depth, test, 0):.2f}x")
        print(f"  -P {depth:<2} {test}  each round, cachenode -t 1 / redis: ops/s "
              + " ".join(f"{x:.2f}" for x in ratios("cn1", depth, test, 0)) + "; p99 "
              + " ".join(f"{x:.2f}" for x in ratios("cn1", depth, test, 1)))
        print(cpu_line(depth, test, test))

print("hashes: redis-benchmark -t hset -c 50 -d 100, and HGET myhash element:__rand_int__, same rounds")
for depth in (1, 16):
    for test, label in (("HSET", "HSET"), (HGET, "HGET")):
        r_rps, _ = medians("redis", depth, test)
        c_rps, _ = medians("cn1", depth, test)
        n_rps, _ = medians("cnN", depth, test)
        rps_x = ratio("cn1", depth, test, 0)
        print(f"  -P {depth:<2} {label}  {names['redis']}: {r_rps:9.0f} ops/s | {names['cn1']}: {c_rps:9.0f} ops/s"
              f" | {names['cnN']}: {n_rps:9.0f} ops/s")
        print(f"  -P {depth:<2} {label}  cachenode -t 1 / redis: ops/s {rps_x:.2f}x (target >= 1.00): "
              f"{verdict(rps_x >= 1)}; each round: " + " ".join(f"{x:.2f}" for x in ratios("cn1", depth, test, 0)))
        print(cpu_line(depth, test, label))

rk, ck = int(mem_redis_keys), int(mem_cn_keys)
rr, cr = int(mem_redis_rss) / 1024, int(mem_cn_rss) / 1024
print("memory: 1,000,000 keys with 100-byte values (redis-cli --pipe), VmRSS")
print(f"  redis {rr:.1f} MiB ({rk} keys), cachenode {cr:.1f} MiB ({ck} keys): {cr / rr:.2f}x "
      f"(target <= 1.00): {verdict(cr <= rr and rk == ck == 1000000)}")


def wrk_figures(server):
    """Medians over the runs: requests/s, and microseconds of CPU per request: the server's
    (user + system), the server's in the kernel, wrk's (user + system)."""
    rps, cpu, kernel, client = {}, [], [], []
    for path in glob.glob(f"{tmp}/wrk-{server}-*.txt"):
        rnd = int(re.match(r".*-(\d+)\.txt$", path).group(1))
        text = open(path).read()
        r = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
        done = int(re.search(r"(\d+) requests in", text).group(1))
        u0, s0 = map(int, re.search(r"server_ticks_before: (\d+) (\d+)", text).groups())
        u1, s1 = map(int, re.search(r"server_ticks_after: (\d+) (\d+)", text).groups())
        wu, ws = map(float, re.search(r"wrk_seconds: ([\d.]+) ([\d.]+)", text).groups())
        rps[rnd] = 0.0 if "Non-2xx" in text else r  # misses or errors: not the figure asked for
        us = 1e6 / done
        cpu.append((u1 - u0 + s1 - s0) / float(clk_tck) * us)
        kernel.append((s1 - s0) / float(clk_tck) * us)
        client.append((wu + ws) * us)
    return rps, med(cpu), med(kernel), med(client)


(n_rounds, n_cpu, n_sys, n_wrk) = wrk_figures("cnN")
(c_rounds, c_cpu, c_sys, c_wrk) = wrk_figures("cn1")
(g_rounds, g_cpu, g_sys, g_wrk) = wrk_figures("go")
n_http, c_http, g_http = med(n_rounds.values()), med(c_rounds.values()), med(g_rounds.values())
n_x = med(n_rounds[r] / g_rounds[r] for r in n_rounds)
print(f"HTTP: wrk -t 2 -c 50 -d 5s GET /get?key=k, median of {http_runs} runs; CPU per request: server (kernel), wrk")
print(f"  the book's Go cache: {g_http:.0f} req/s, {g_cpu:.1f} us ({g_sys:.1f} us), wrk {g_wrk:.1f} us")
print(f"  cachenode -t {cnN_threads}: {n_http:.0f} req/s, {n_cpu:.1f} us ({n_sys:.1f} us), wrk {n_wrk:.1f} us")
print(f"  cachenode -t 1: {c_http:.0f} req/s, {c_cpu:.1f} us ({c_sys:.1f} us), wrk {c_wrk:.1f} us")
print(f"  cachenode -t {cnN_threads} / Go cache: req/s {n_x:.2f}x (target >= 3.00x): "
      f"{verdict(n_x >= 3)}; server CPU per request {n_cpu / g_cpu:.2f}x")
# With only wrk and the server running, both CPU-bound on the machine's CPUs, each request
# costs the two's CPU time: the requests/s that gives, and for a server that did nothing but
# its system calls (its kernel time).
quiet_n, quiet_g = int(cpus) / ((n_cpu + n_wrk) / 1e6), int(cpus) / ((g_cpu + g_wrk) / 1e6)
ceiling = int(cpus) / ((n_wrk + n_sys) / 1e6)
print(f"  on this machine with nothing else running, {cpus} CPUs / (server + wrk CPU per request): cachenode -t "
      f"{cnN_threads} {quiet_n:.0f} req/s, the Go cache {quiet_g:.0f} req/s: {quiet_n / quiet_g:.2f}x")
print(f"  ceiling: {cpus} CPUs / (wrk {n_wrk:.1f} us + cachenode's kernel time {n_sys:.1f} us) = {ceiling:.0f} req/s, "
      f"{ceiling / quiet_g:.2f}x the Go cache's, for a server that did no work of its own")

text = open(f"{tmp}/hitratio.txt").read()
ratios = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\w+)\s+hit ratio ([\d.]+)", text, re.M)}
print("hit ratio: cachenode-hitratio, " + text.splitlines()[0].removeprefix("trace: "))
print("  " + ", ".join(f"{p} {r:.4f}" for p, r in ratios.items()))
d, lru = ratios[default_policy], ratios["lru"]
print(f"  default ({default_policy}) {d:.4f} vs lru {lru:.4f}: {d - lru:+.4f} (target > 0): {verdict(d > lru)}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

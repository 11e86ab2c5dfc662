#!/usr/bin/env python3
"""Prints permscan's benchmark against bfs and find from hyperfine's JSON, and compares
permscan's findings with the corpus's manifest.json and with what the anchors print;
exits 1 when the target is missed or the findings differ (scripts/bench/permscan.sh).
"""
import json, sys
times_f, findings_f, manifest_f, corpus, target, rss, bfs_v, find_v, cpus, bfs_out, find_out, floor_f = sys.argv[1:]
target = float(target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(times_f))["results"]}
m = json.load(open(manifest_f))
print(f"permscan benchmark: {corpus} ({m['total_files']} files), {cpus} CPUs, {bfs_v}, {find_v}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool in ("permscan", "bfs", "find", "floor"):
    note = {"find": "  (no -capable: file-capabilities left out)",
            "floor": "  walk-floor tree: the walker's system calls alone, as many threads"}.get(tool, "")
    print(f"  {tool:<9} {med[tool]:7.3f} s{note}")
print(f"  permscan peak RSS: {int(rss) / 1024:.1f} MiB" if rss.strip().isdigit() else f"  permscan peak RSS: ? ({rss.strip()})")
r_bfs, r_find = med["permscan"] / med["bfs"], med["permscan"] / med["find"]
verdict = "PASS" if r_bfs <= target else "FAIL"
ok &= r_bfs <= target
print(f"  permscan/bfs  {r_bfs:.2f}  (target <= {target:.2f}): {verdict}")
print(f"  permscan/find {r_find:.2f}")
# The floor's goal is judged on the pairs: a ratio of medians taken minutes apart measures the
# machine's load as much as the tools (scripts/bench/floor_ratio.py).
print(f"  permscan/floor {med['permscan'] / med['floor']:.2f}  (a ratio of medians, for information)")
pairs = json.load(open(floor_f))
ok &= pairs["wall"] <= 1.2
print(f"  permscan/floor in pairs, median of {pairs['runs']}: wall {pairs['wall']:.2f} (goal <= 1.20): "
      f"{'PASS' if pairs['wall'] <= 1.2 else 'FAIL'}, CPU (user+sys) {pairs['cpu']:.2f}")

checks = {
    "world-writable-file": "world_writable_files",
    "world-writable-dir": "world_writable_dirs_no_sticky",
    "setuid": "setuid",
    "setgid": "setgid",
    "exposed-secret": "private_keys_readable",
    "dangling-symlink": "dangling_symlinks",
}
found = {c: set() for c in checks}
found_all = {}
for line in open(findings_f, encoding="utf-8", errors="surrogateescape"):
    f = json.loads(line)
    found_all.setdefault(f["check"], set()).add(f["path"])
for c in checks:
    found[c] = found_all.get(c, set())
print("correctness: permscan --format json tree vs manifest.json")
print(f"  {'check':<20} {'expected':>8} {'reported':>8} {'missing':>8} {'extra':>6}")
for check, key in checks.items():
    want, got = set(m[key]), found[check]
    missing, extra = sorted(want - got), sorted(got - want)
    bad = bool(missing or extra)
    ok &= not bad
    print(f"  {check:<20} {len(want):>8} {len(got):>8} {len(missing):>8} {len(extra):>6}  {'FAIL' if bad else 'ok'}")
    for tag, paths in (("missing", missing), ("extra", extra)):
        for p in paths[:5]:
            print(f"      {tag}: {p}")
        if len(paths) > 5:
            print(f"      ... {len(paths) - 5} more {tag}")
# The anchors must do the same work: the paths they print against permscan's distinct paths.
# (They differ legitimately only for *.key/*.pem without a PRIVATE KEY block; the corpus has none.)
every = {p for paths in found_all.values() for p in paths}
for tool, out in (("bfs", bfs_out), ("find", find_out)):
    theirs = set(open(out, encoding="utf-8", errors="surrogateescape").read().splitlines())
    same = theirs == every
    print(f"  {tool} prints {len(theirs)} paths, permscan reports {len(every)}: "
          f"{'same set' if same else f'DIFFERENT ({len(theirs - every)} only in {tool}, {len(every - theirs)} only in permscan)'}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

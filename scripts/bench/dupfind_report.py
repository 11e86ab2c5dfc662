#!/usr/bin/env python3
"""Prints dupfind's benchmark against jdupes, rdfind and fdupes from hyperfine's JSON (warm,
and the walk against its floor) and dupfind_cold.py's (cold, and the hash cache), and
compares dupfind's groups with the corpus's manifest.json and with jdupes -r, per inode;
exits 1 when a target is missed or the groups differ (scripts/bench/dupfind.sh).
"""
import json, os, statistics, sys
(times_f, cold_f, groups_f, manifest_f, corpus, target, rss, rss_target, jdupes_v, rdfind_v, fdupes_v, cpus,
 jdupes_out) = sys.argv[1:]
target, rss_target = float(target), float(rss_target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(times_f))["results"]}
m = json.load(open(manifest_f))
print(f"dupfind benchmark: {corpus} ({m['total_files']} files, {m['total_bytes'] / 2**30:.2f} GiB), {cpus} CPUs")
print(f"  anchors: {jdupes_v}; {rdfind_v}; {fdupes_v}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool in ("dupfind", "jdupes", "rdfind", "fdupes"):
    ratio = "" if tool == "jdupes" else f"  ({med[tool] / med['jdupes']:.2f}x jdupes)"
    print(f"  {tool:<8} {med[tool]:7.3f} s{ratio}")
r = med["dupfind"] / med["jdupes"]
ok &= r <= target
print(f"  dupfind/jdupes {r:.2f}  (target <= {target:.2f}): {'PASS' if r <= target else 'FAIL'}")
print(f"  dupfind/rdfind {med['dupfind'] / med['rdfind']:.2f}")
print(f"  dupfind/fdupes {med['dupfind'] / med['fdupes']:.2f}")
print(f"  dupfind-walk {med['dupfind-walk']:7.3f} s  (dupfind's walk and grouping by size alone: tests/bench/dupfind_walk.cpp)")
print(f"  floor    {med['floor']:7.3f} s  (walk-floor tree: getdents64 and statx alone)")
r_floor = med["dupfind-walk"] / med["floor"]
ok &= r_floor <= 1.3
print(f"  dupfind-walk/floor {r_floor:.2f}  (goal <= 1.30): {'PASS' if r_floor <= 1.3 else 'FAIL'}")

cold = json.load(open(cold_f))
runs = len(cold["cold"]["dupfind"])
cmed = {t: statistics.median(v) for t, v in cold["cold"].items()}
print(f"cold cache (page cache dropped before each run), median of {runs} rounds, the order rotated; "
      f"load average {min(cold['load']):.1f}-{max(cold['load']):.1f} on {cpus} CPUs")
for tool, v in cold["cold"].items():
    ratio = "" if tool == "jdupes" else f"  ({cmed[tool] / cmed['jdupes']:.2f}x jdupes)"
    print(f"  {tool:<8} {cmed[tool]:7.3f} s{ratio}  runs: {', '.join(f'{t:.2f}' for t in v)}")
r = cmed["dupfind"] / cmed["jdupes"]
ok &= r <= 0.3
print(f"  dupfind/jdupes cold {r:.2f}  (goal <= 0.30): {'PASS' if r <= 0.3 else 'FAIL'}")
cc = {k: statistics.median(v) for k, v in cold["cached"].items()}
print(f"hash cache (--cache, emptied before each round), median of {runs}")
print(f"  first run, cold        {cc['first']:7.3f} s")
print(f"  second run             {cc['cached']:7.3f} s")
print(f"  second run, cold again {cc['cached_cold']:7.3f} s  ({cc['cached_cold'] / cc['first']:.2f}x the first)")
r = cc["cached"] / cc["first"]
ok &= r <= 0.1
print(f"  second/first cold {r:.3f}  (goal <= 0.10): {'PASS' if r <= 0.1 else 'FAIL'}")
if rss.strip().isdigit():
    mib = int(rss) / 1024
    ok &= mib <= rss_target
    print(f"  dupfind peak RSS {mib:.1f} MiB  (target <= {rss_target:.0f} MiB): {'PASS' if mib <= rss_target else 'FAIL'}")
else:
    ok = False
    print(f"  dupfind peak RSS: ? ({rss.strip()}): FAIL")


def paths_of(p: str) -> bytes:
    return p.encode("utf-8", "surrogateescape")


def per_inode(groups) -> set:
    """Groups of paths as a set of frozensets of (st_dev, st_ino)."""
    out = set()
    for g in groups:
        out.add(frozenset((st.st_dev, st.st_ino) for st in (os.lstat(p) for p in g)))
    return out


ours_paths = [[paths_of(p) for p in json.loads(line)["paths"]] for line in open(groups_f, encoding="utf-8")]
manifest_groups = [[paths_of(n) for f in g for n in f] for g in m["dup_groups"]]
raw = open(jdupes_out, "rb").read()
jdupes_groups = [g.split(b"\n") for g in raw.rstrip(b"\n").split(b"\n\n")] if raw.strip() else []

ours, want, theirs = per_inode(ours_paths), per_inode(manifest_groups), per_inode(jdupes_groups)
print("correctness: groups compared per inode, as sets of sets of (dev, ino)")
for name, other in (("manifest.json dup_groups", want), ("jdupes -r", theirs)):
    same = ours == other
    ok &= same
    print(f"  dupfind {len(ours)} groups, {name} {len(other)}: "
          f"{'same' if same else f'DIFFERENT ({len(ours - other)} only in dupfind, {len(other - ours)} only in {name})'}")
    for g in sorted(ours - other, key=sorted)[:3]:
        print(f"      only in dupfind: {sorted(g)}")
    for g in sorted(other - ours, key=sorted)[:3]:
        print(f"      only in {name}: {sorted(g)}")
# Every name too (--hardlinks lists all of them), against the manifest, which names each inode fully.
same_names = {frozenset(g) for g in ours_paths} == {frozenset(g) for g in manifest_groups}
ok &= same_names
print(f"  every name of every file (--hardlinks) vs manifest.json: {'same' if same_names else 'DIFFERENT'}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""Prints dirsize's benchmark against du (and gdu) from the measurements and outputs
scripts/bench/dirsize.sh left in TMP, and whether dirsize's totals are du's, byte for
byte; exits 1 when the target is missed or a total differs.
"""
import json, os, sys
tmp, corpus, target, rss, rss_du, du_v, gdu_v, cpus = sys.argv[1:]
target = float(target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(os.path.join(tmp, "times.json")))["results"]}
m = json.load(open(os.path.join(corpus, "manifest.json")))
print(f"dirsize benchmark: {corpus} ({m['total_files']} files), {cpus} CPUs, {du_v}, gdu {gdu_v or '?'}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool, note in (("dirsize", "  dirsize -q tree"), ("du", "  du -s tree"),
                   ("gdu", "  gdu -n -p -s -c --no-prefix tree (for information)"),
                   ("floor", "  walk-floor tree: the walker's system calls alone, as many threads")):
    if tool in med:
        print(f"  {tool:<8} {med[tool]:7.3f} s{note}")
    else:
        print(f"  {tool:<8}       - (did not run here)")
def mib(kib):
    return f"{int(kib) / 1024:.1f} MiB" if kib.strip().isdigit() else f"? ({kib.strip()})"
print(f"  peak RSS: dirsize {mib(rss)}, du {mib(rss_du)}")
ratio = med["dirsize"] / med["du"]
ok &= ratio <= target
print(f"  dirsize/du  {ratio:.2f}  (target <= {target:.2f}): {'PASS' if ratio <= target else 'FAIL'}")
if "gdu" in med:
    print(f"  dirsize/gdu {med['dirsize'] / med['gdu']:.2f}")
# The floor's goal is judged on the pairs: a ratio of medians taken minutes apart measures the
# machine's load as much as the tools (scripts/bench/floor_ratio.py).
print(f"  dirsize/floor {med['dirsize'] / med['floor']:.2f}  (a ratio of medians, for information)")
pairs = json.load(open(os.path.join(tmp, "floor.json")))
ok &= pairs["wall"] <= 1.2
print(f"  dirsize/floor in pairs, median of {pairs['runs']}: wall {pairs['wall']:.2f} (goal <= 1.20): "
      f"{'PASS' if pairs['wall'] <= 1.2 else 'FAIL'}, CPU (user+sys) {pairs['cpu']:.2f}")

print("correctness: dirsize against du on the same tree")
def read(name, ext):
    return open(os.path.join(tmp, f"{name}.{ext}"), "rb").read()
for name, what in (("blocks", "dirsize tree    vs du -s tree "), ("apparent", "dirsize -b tree vs du -sb tree")):
    a, b = read(name, "dirsize"), read(name, "du")
    same = a == b
    ok &= same
    shown = a.decode("utf-8", "surrogateescape").strip().replace("\t", " ")
    theirs = b.decode("utf-8", "surrogateescape").strip().replace("\t", " ")
    print(f"  {what}: {shown!s:<24} {'byte-identical' if same else f'DIFFERENT (du: {theirs})'}")
for name, what in (("depth1", "dirsize -d 1 tree    vs du --max-depth 1 tree   "),
                   ("depth1b", "dirsize -b -d 1 tree vs du -b --max-depth 1 tree")):
    a, b = read(name, "dirsize").splitlines(), read(name, "du").splitlines()
    same = sorted(a) == sorted(b)
    ok &= same
    extra, missing = set(a) - set(b), set(b) - set(a)
    print(f"  {what}: {len(a)} lines, "
          + ("same lines" if same else f"DIFFERENT ({len(extra)} only in dirsize, {len(missing)} only in du)"))
    for line in sorted(extra)[:3]:
        print(f"      only in dirsize: {line!r}")
    for line in sorted(missing)[:3]:
        print(f"      only in du:      {line!r}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

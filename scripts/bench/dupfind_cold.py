#!/usr/bin/env python3
"""Times dupfind and its anchors on a cold page cache, and dupfind's hash cache, for
scripts/bench/dupfind.sh; writes JSON (seconds per run, and the load average around them).

    dupfind_cold.py OUT.json RUNS CACHE_DIR NAME=COMMAND...

Cold: before each run the page cache, dentries and inodes are dropped (sync; echo 3 >
/proc/sys/vm/drop_caches, as root); each round runs every tool once, the order rotated from
round to round so no tool always goes first.  Cached: dupfind --cache with XDG_CACHE_HOME set
to CACHE_DIR, emptied first: a first run cold, then a second with the page cache as the first
left it ("cached"), then one more after dropping it ("cached_cold").  COMMAND is split on
spaces; its output is discarded, exit status 1 (duplicates found) is success."""
import json, os, shlex, shutil, subprocess, sys, time

out_f, runs, cache_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tools = [a.split("=", 1) for a in sys.argv[4:]]


def drop():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def timed(cmd, env=None) -> float:
    start = time.monotonic()
    p = subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    took = time.monotonic() - start
    if p.returncode not in (0, 1) or p.stderr:
        sys.exit(f"bench/dupfind: {cmd} exited {p.returncode}: {p.stderr[:500]!r}")
    return took


times = {name: [] for name, _ in tools}
loads = [os.getloadavg()[0]]
for r in range(runs):
    order = tools[r % len(tools):] + tools[:r % len(tools)]
    for name, cmd in order:
        drop()
        times[name].append(timed(cmd))
    loads.append(os.getloadavg()[0])

dupfind = dict(tools)["dupfind"]
env = {**os.environ, "XDG_CACHE_HOME": cache_dir}
cached = {"first": [], "cached": [], "cached_cold": []}
for r in range(runs):
    shutil.rmtree(cache_dir, ignore_errors=True)
    drop()
    cached["first"].append(timed(dupfind.replace(" -q ", " -q --cache ", 1), env))
    cached["cached"].append(timed(dupfind.replace(" -q ", " -q --cache ", 1), env))
    drop()
    cached["cached_cold"].append(timed(dupfind.replace(" -q ", " -q --cache ", 1), env))
    loads.append(os.getloadavg()[0])
shutil.rmtree(cache_dir, ignore_errors=True)
json.dump({"cold": times, "cached": cached, "load": loads}, open(out_f, "w"))

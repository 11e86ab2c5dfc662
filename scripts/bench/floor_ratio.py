#!/usr/bin/env python3
"""A tool's time over its floor's (tests/bench/walk_floor.cpp), measured in pairs.

    floor_ratio.py RUNS OUT.json -- TOOL ARGS... -- FLOOR ARGS...

Runs the tool and the floor one right after the other RUNS times, alternating which goes
first, stdout to /dev/null, and writes to OUT.json the median of the pairs' ratios of wall
time and of CPU time (user + system, from wait4's rusage).  On a shared machine the load
drifts while hyperfine runs all of one command and then all of the other; a pair sees the
same load twice, so the median of the pairs' ratios is steadier than a ratio of medians,
and CPU time does not count the time spent waiting for a CPU at all.
"""
import json
import os
import statistics
import subprocess
import sys
import time


def run(argv):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):  # permscan exits 1 when it finds something
        sys.exit(f"floor_ratio: {argv[0]} exited {rc}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    runs, out = int(sys.argv[1]), sys.argv[2]
    rest = sys.argv[3:]
    assert rest[0] == "--" and rest.count("--") == 2, "usage: floor_ratio.py RUNS OUT -- TOOL... -- FLOOR..."
    cut = rest.index("--", 1)
    tool, floor = rest[1:cut], rest[cut + 1:]
    wall, cpu = [], []
    for i in range(runs):
        if i % 2 == 0:
            t, f = run(tool), run(floor)
        else:
            f, t = run(floor), run(tool)
        wall.append(t[0] / f[0])
        cpu.append(t[1] / f[1])
    json.dump({"runs": runs, "wall": statistics.median(wall), "cpu": statistics.median(cpu)}, open(out, "w"))


main()

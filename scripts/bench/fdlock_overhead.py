#!/usr/bin/env python3
"""Prints the median time of fdlock and of flock(1) over ROUNDS paired hyperfine rounds
(DIR/roundN.json), in ms, and the median of each round's ratio fdlock/flock
(scripts/bench/fdlock.sh, step 3).
"""
import json, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
fd, fl, ratios = [], [], []
for r in range(1, rounds + 1):
    m = {x["command"]: x["median"] for x in json.load(open(f"{d}/round{r}.json"))["results"]}
    fd.append(m["fdlock"]); fl.append(m["flock"]); ratios.append(m["fdlock"] / m["flock"])
print(f"{statistics.median(fd) * 1e3:.2f} {statistics.median(fl) * 1e3:.2f} {statistics.median(ratios):.2f}")

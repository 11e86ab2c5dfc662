#!/usr/bin/env python3
"""Prints the most shared holders that held the lock at once, from the start and end
stamps in DIR/sN.start and DIR/sN.end (scripts/bench/fdlock.sh, step 2).
"""
import sys
d = sys.argv[1]
iv = [(float(open(f"{d}/s{i}.start").read()), float(open(f"{d}/s{i}.end").read())) for i in range(1, 5)]
print(max(sum(1 for s, e in iv if s <= t < e) for t, _ in iv))

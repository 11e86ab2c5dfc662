#!/usr/bin/env python3
"""Prints how long the exclusive request waited after it was made (ASKED) and after the
last shared holder let go, from the stamps in DIR (scripts/bench/fdlock.sh, step 2).
"""
import sys
d, asked = sys.argv[1], float(sys.argv[2])
last_end = max(float(open(f"{d}/t{i}.end").read()) for i in range(1, 5))
got = float(open(f"{d}/x.start").read())
print(f"{got - asked:.3f} {got - last_end:.3f}")

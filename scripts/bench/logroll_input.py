#!/usr/bin/env python3
"""Writes to stdout 2,000,000 lines of 105 bytes, each an 8-digit sequence number and
text: the input of scripts/bench/logroll.sh.
"""
import sys
pad = "x" * 74
w = sys.stdout.buffer
for start in range(0, 2_000_000, 10_000):
    w.write("".join(f"{i:08d} {pad} service=bench level=info\n" for i in range(start, start + 10_000)).encode())

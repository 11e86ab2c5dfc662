#!/usr/bin/env python3
"""Writes to stdout the RESP commands of 1,000,000 SETs of 100-byte values, for
redis-cli --pipe (scripts/bench/cachenode.sh, the memory comparison).
"""
import sys
value = b"v" * 100
out = bytearray()
for i in range(1000000):
    key = b"key:%07d" % i
    out += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)
sys.stdout.buffer.write(out)

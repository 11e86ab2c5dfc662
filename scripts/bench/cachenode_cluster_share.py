"""The busiest node's share of 100,000 keys ("key:N"), for 3, 5 and 8 nodes, on the book's
ring (one point per node: SHA-1 of "127.0.0.1:PORT"; a key goes to the first point at or after
the SHA-1 of the key, wrapping) and on Redis Cluster's slots (CRC16 of the key modulo 16384,
the slots split into even contiguous ranges as redis-cli --cluster create does).  The figures
in cachenode(1)'s CLUSTER section come from it."""
import bisect
import hashlib


def crc16(data: bytes) -> int:
    c = 0
    for x in data:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
            c &= 0xffff
    return c


keys = [f"key:{i}".encode() for i in range(100000)]
slots = [crc16(k) % 16384 for k in keys]
for n in (3, 5, 8):
    names = [f"127.0.0.1:{7000 + i}" for i in range(n)]
    ring = sorted((int(hashlib.sha1(m.encode()).hexdigest(), 16), m) for m in names)
    points = [p for p, _ in ring]
    on_ring = {m: 0 for m in names}
    for k in keys:
        i = bisect.bisect_left(points, int(hashlib.sha1(k).hexdigest(), 16)) % len(points)
        on_ring[ring[i][1]] += 1
    per = 16384 / n
    on_slots = [0] * n
    for s in slots:
        on_slots[min(int(s / per), n - 1)] += 1
    print(f"{n} nodes: ring {max(on_ring.values()) / len(keys) * 100:.1f}%, "
          f"slots {max(on_slots) / len(keys) * 100:.1f}%, even {100 / n:.1f}%")

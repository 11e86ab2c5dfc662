#!/usr/bin/env python3
"""Prints pipekit's benchmark from hyperfine's JSON and the files scripts/bench/pipekit.sh
left in the current directory, and checks its targets; exits 1 when one is missed or an
output is wrong."""
import filecmp
import json
import sys

runs, size_mb, cpus = sys.argv[1], sys.argv[2], sys.argv[3]
med = {r["command"]: r["median"] for r in json.load(open("times.json"))["results"]}
ok = True


def check(name: str, value: float, target: str, passed: bool) -> None:
    global ok
    ok &= passed
    print(f"  {name:<34} {value:6.2f}  (target {target}): {'PASS' if passed else 'FAIL'}")


print(f"pipekit benchmark: {size_mb} MB, {cpus} CPUs, warm cache, median of {runs} runs (hyperfine --warmup 1)")
for name in ("pump", "cat", "pv", "splice", "filter", "grep", "send/recv", "cat pair"):
    print(f"  {name:<10} {med[name]:7.3f} s")


def cpu(side: str) -> float:
    """The median CPU time (user + system) of one side of a FIFO pair, from time(1)."""
    times = sorted(sum(map(float, line.split())) for line in open(f"cpu.{side}"))
    return times[len(times) // 2]


pair, cats = cpu("send") + cpu("recv"), cpu("catw") + cpu("catr")
print(f"  CPU, median of {runs}: send {cpu('send'):.2f} + recv {cpu('recv'):.2f} = {pair:.2f} s, "
      f"cat writer {cpu('catw'):.2f} + reader {cpu('catr'):.2f} = {cats:.2f} s: {pair / cats:.2f}x (no target)")
print("ratios (time of pipekit / time of the anchor; the floor's as floor / pump)")
check("pump / cat", med["pump"] / med["cat"], "<= 1.00", med["pump"] <= med["cat"])
check("pump / pv -q", med["pump"] / med["pv"], "<= 1.00", med["pump"] <= med["pv"])
check("splice loop / pump", med["splice"] / med["pump"], ">= 0.80", med["splice"] / med["pump"] >= 0.8)
check("filter / grep -E", med["filter"] / med["grep"], "<= 1.00", med["filter"] <= med["grep"])
check("send/recv --frame / cat pair", med["send/recv"] / med["cat pair"], "<= 1.00",
      med["send/recv"] <= med["cat pair"])
limit = 16 * 1024
for name in ("pump", "filter"):
    kib = int(open(f"rss.{name}").read().split()[-1])
    check(f"peak RSS of {name} (MiB)", kib / 1024, "< 16", kib < limit)
print("outputs")
same_filter = filecmp.cmp("filter.out", "grep.out", shallow=False)
same_recv = filecmp.cmp("recv.out", "log", shallow=False)
same_pump = open("pump.md5").read().split()[0] == open("log.md5").read().split()[0]
lines = sum(1 for _ in open("filter.out", "rb"))
for name, same in (("filter = grep -E", same_filter), ("recv --frame = the input", same_recv),
                   ("pump = its input", same_pump)):
    ok &= same
    print(f"  {name:<34} {'PASS' if same else 'FAIL'}")
print(f"  (filter kept {lines} lines)")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

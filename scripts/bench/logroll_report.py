#!/usr/bin/env python3
"""Prints logroll's benchmark against rotatelogs, multilog and svlogd from hyperfine's
JSON in the current directory, and checks that each tool's files put back together are
the input, byte for byte; exits 1 when the target is missed or a check fails
(scripts/bench/logroll.sh).
"""
import json, os, re, subprocess, sys
target, cpus, runs = float(sys.argv[1]), sys.argv[2], sys.argv[3]
inp = open("input", "rb").read()
res = json.load(open("times.json"))["results"]
med = {r["command"]: r["median"] for r in res}
cpu = {r["command"]: r["user"] + r["system"] for r in res}
ok = True
print(f"logroll benchmark: 2,000,000 lines, {len(inp) / 1e6:.0f} MB on standard input, --size 10M, {cpus} CPUs")
print(f"warm cache, median of {runs} runs (hyperfine --warmup 1)")
for tool in ("logroll", "rotatelogs", "multilog", "svlogd"):
    ratio = "" if tool == "logroll" else f"  (logroll {med['logroll'] / med[tool]:.2f}x, cpu {cpu['logroll'] / cpu[tool]:.2f}x)"
    print(f"  {tool:<10} {med[tool]:7.3f} s  cpu {cpu[tool]:6.3f} s{ratio}")
r = med["logroll"] / med["rotatelogs"]
ok &= r <= target
print(f"  logroll/rotatelogs {r:.2f}  (target <= {target:.2f}): {'PASS' if r <= target else 'FAIL'}")
print(f"  logroll/multilog {med['logroll'] / med['multilog']:.3f}, logroll/svlogd {med['logroll'] / med['svlogd']:.3f}")


def ordered(d, tool):
    """The tool's files, oldest first, ending with the current one."""
    names = os.listdir(d)
    if tool in ("logroll", "zstd"):
        pat = re.compile(r"app\.(\d{8}T\d{6}Z)(?:\.(\d+))?(\.zst)?$")
        rot = sorted((m[1], int(m[2] or 0), n) for n in names if (m := pat.match(n)))
        return [n for *_, n in rot] + (["app"] if "app" in names else [])
    if tool == "rotatelogs":  # -n: app, app.1, app.2, ... in the order written
        rot = sorted((int(n[4:]), n) for n in names if re.fullmatch(r"app\.\d+", n))
        return ["app"] + [n for _, n in rot]
    # multilog, svlogd: @TAI64N.s files, then current
    return sorted(n for n in names if n.startswith("@")) + ["current"]


def read(path):
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
    return open(path, "rb").read()


print("correctness: the files concatenated, oldest first, against the input")
for tool in ("logroll", "zstd", "rotatelogs", "multilog", "svlogd"):
    d = f"out-{tool}"
    files = ordered(d, tool)
    parts = [read(os.path.join(d, f)) for f in files]
    whole = b"".join(parts)
    split = sum(1 for p in parts[:-1] if p and not p.endswith(b"\n"))
    same = whole == inp
    name = "logroll --compress zstd" if tool == "zstd" else tool
    if tool in ("logroll", "zstd"):
        ok &= same and split == 0
    verdict = "byte for byte equal" if same else f"DIFFERENT ({len(whole)} bytes vs {len(inp)})"
    print(f"  {name:<24} {len(files):3d} files: {verdict}; {split} line(s) split across files")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

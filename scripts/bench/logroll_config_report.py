#!/usr/bin/env python3
"""Prints logroll --config's benchmark against logrotate from hyperfine's JSON in the current
directory (config.json), and checks that both left the same thing in many-logroll/ and
many-logrotate/: each of the 1,000 logs rotated once into NAME.1, and a new empty NAME of
mode 0640, owner root and group adm; exits 1 when the target is missed or a check fails
(scripts/bench/logroll.sh)."""
import grp, json, os, stat, sys
target, runs = float(sys.argv[1]), sys.argv[2]
ok = True
print("logroll --config benchmark: a glob matching 1,000 logs of 4 KB in one directory, rotate 4, create, -f")
print(f"warm cache, median of {runs} runs (hyperfine --warmup 1), a fresh copy of the tree before each")
for name, what in (("first", "first run: a brand-new tree, no lock file, no state file"),
                   ("steady", "steady state: the lock file and state files of an earlier run")):
    res = {r["command"]: r for r in json.load(open(f"config-{name}.json"))["results"]}
    wall = {t: res[t]["median"] for t in res}
    cpu = {t: res[t]["user"] + res[t]["system"] for t in res}
    r = wall["logroll"] / wall["logrotate"]
    print(what)
    for t in ("logroll", "logrotate"):
        print(f"  {t:<10} {wall[t]:7.3f} s  cpu {cpu[t]:6.3f} s")
    print(f"  logroll/logrotate {r:.2f} wall, {cpu['logroll'] / cpu['logrotate']:.2f} cpu "
          f"(target <= {target:.2f}): {'PASS' if r <= target else 'FAIL'}")
    ok &= r <= target


def outcome(d):
    logs = sorted(n for n in os.listdir(d) if n.endswith(".log"))
    good = 0
    adm = grp.getgrnam("adm").gr_gid
    for n in logs:
        st = os.stat(os.path.join(d, n))
        rotated = os.path.join(d, n + ".1")
        if (st.st_size == 0 and stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 and st.st_gid == adm
                and os.path.exists(rotated) and os.path.getsize(rotated) > 4000):
            good += 1
    return len(logs), good


print("correctness: every log rotated to NAME.1 and created again empty, 0640 root:adm")
for tool in ("logroll", "logrotate"):
    n, good = outcome(f"many-{tool}")
    verdict = good == n == 1000
    if tool == "logroll":
        ok &= verdict
    print(f"  {tool:<10} {good} of {n} logs: {'PASS' if verdict else 'FAIL'}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""The inwatch benchmark proper (scripts/bench/inwatch.sh sets it up): set-up time of a
recursive watch on the corpus against inotifywait, and events lost or repeated under a
burst of file creations; exits 1 when a target is missed.
"""
import os, signal, statistics, subprocess, sys, time

inwatch, tree, tmp, files, target, iw_version, cpus = sys.argv[1:]
files, target = int(files), float(target)
ok = True
env = dict(os.environ, LC_ALL="C")


def watches(pid):
    """inotify watches held by pid (0 when it has no inotify descriptor)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    n += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            pass
    return n


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def inotifywait_setup():
    """Seconds until inotifywait -m -r says 'Watches established.', and its watch count."""
    t0 = time.monotonic()
    p = subprocess.Popen(["inotifywait", "-m", "-r", tree], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    try:
        for line in p.stderr:
            if b"Watches established" in line:
                t = time.monotonic() - t0
                return t, watches(p.pid)
        raise SystemExit(f"bench/inwatch: inotifywait exited {p.wait()} before establishing its watches")
    finally:
        stop(p)


def inwatch_setup():
    t0 = time.monotonic()
    r = subprocess.run([inwatch, "-r", "-t", "0.001", tree], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    t = time.monotonic() - t0
    if r.returncode != 1 or r.stderr:
        raise SystemExit(f"bench/inwatch: inwatch -r -t 0.001 exited {r.returncode} (1 expected): {r.stderr[:500]!r}")
    return t


def inwatch_watch_count():
    """How many watches inwatch -m -r holds once set up (polled until it stops growing)."""
    p = subprocess.Popen([inwatch, "-m", "-r", tree], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 1.0:
            n = watches(p.pid)
            if n != last:
                last, since = n, time.monotonic()
            time.sleep(0.05)
        return last
    finally:
        stop(p)


dirs = sum(1 for _ in os.walk(tree))  # also warms the cache
print(f"inwatch benchmark: {tree} ({dirs} directories), {cpus} CPUs, {iw_version}")

# --- 1. set-up of -r ---------------------------------------------------------------------
inotifywait_setup()  # warm-up, both
inwatch_setup()
tw, ti = [], []
for _ in range(5):  # interleaved, so that a change in the machine's load hits both
    tw.append(inotifywait_setup())
    ti.append(inwatch_setup())
w_med = statistics.median(t for t, _ in tw)
i_med = statistics.median(ti)
w_watches = tw[0][1]
i_watches = inwatch_watch_count()
ratio = i_med / w_med
print("1. set-up of -r, warm cache, median of 5 runs")
print(f"  inotifywait -m -r  {w_med:7.3f} s  until 'Watches established.'  "
      f"(runs: {' '.join(f'{t:.3f}' for t, _ in tw)})")
print(f"  inwatch -r -t 0.001 {i_med:6.3f} s  whole run, exit included  "
      f"(runs: {' '.join(f'{t:.3f}' for t in ti)})")
print(f"  watches: inwatch {i_watches}, inotifywait {w_watches}, directories {dirs}")
verdict = ratio <= target and i_watches == dirs
ok &= verdict
print(f"  inwatch/inotifywait {ratio:.2f}  (target <= {target:.2f}): {'PASS' if verdict else 'FAIL'}"
      + ("" if i_watches == dirs else "  (inwatch does not watch every directory)"))

# --- 2. a burst of creates -----------------------------------------------------------------
CREATOR = """
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
for i in range(n):
    os.close(os.open(f"{d}/f{i:06}", os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
print(time.monotonic() - t0)
"""


def burst(tool):
    d = os.path.join(tmp, f"burst-{tool}")
    os.mkdir(d)
    out_path, err_path = os.path.join(tmp, f"{tool}.out"), os.path.join(tmp, f"{tool}.err")
    if tool == "inwatch":
        argv = [inwatch, "-m", "-e", "create", "--format", "%w%f %e", d]
    else:
        argv = ["inotifywait", "-m", "-e", "create", "--format", "%w%f %e", d]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
    try:
        t0 = time.monotonic()
        while watches(p.pid) < 1:  # ready: its one watch is in place
            if p.poll() is not None or time.monotonic() - t0 > 30:
                raise SystemExit(f"bench/inwatch: {tool} did not start: {open(err_path, 'rb').read()[:500]!r}")
            time.sleep(0.01)
        t0 = time.monotonic()
        made = subprocess.run([sys.executable, "-c", CREATOR, d, str(files)], check=True,
                              stdout=subprocess.PIPE, text=True)
        create_s = float(made.stdout)
        # Settle: no new output for 3 s (60 s at most).
        size, since = -1, time.monotonic()
        while time.monotonic() - since < 3.0 and time.monotonic() - t0 < 60:
            s = os.path.getsize(out_path)
            if s != size:
                size, since = s, time.monotonic()
            time.sleep(0.1)
        caught_up = since - t0
    finally:
        stop(p)
    lines = open(out_path, "rb").read().decode("utf-8", "surrogateescape").splitlines()
    err = open(err_path, "rb").read().decode("utf-8", "surrogateescape")
    prefix = d + "/"
    names = [line[len(prefix):].split(" ", 1)[0] for line in lines if line.startswith(prefix)
             and "CREATE" in line]
    expected = {f"f{i:06}" for i in range(files)}
    unique = set(names) & expected
    overflow = "Q_OVERFLOW" in "\n".join(lines) or "overflow" in err.lower()
    return {"unique": len(unique), "repeats": len(names) - len(set(names)), "overflow": overflow,
            "create_s": create_s, "caught_up": caught_up}


print(f"2. a burst of {files} creates by one process in a watched empty directory (-m -e create)")
res = {}
for tool in ("inotifywait", "inwatch"):
    r = res[tool] = burst(tool)
    print(f"  {tool:<11} reported {r['unique']}/{files} = {r['unique'] / files:.4f}, repeats {r['repeats']}, "
          f"overflow reported: {'yes' if r['overflow'] else 'no'}  "
          f"(burst {r['create_s']:.2f} s, output settled {r['caught_up']:.2f} s after its start)")
r = res["inwatch"]
burst_ok = r["unique"] == files and (r["overflow"] or r["repeats"] == 0)
ok &= burst_ok
why = ("every create reported once" if burst_ok and not r["overflow"] else
       "overflow reported, the rescan reported every file" if burst_ok else
       "files lost after an overflow" if r["overflow"] else
       "files lost without an overflow reported" if r["unique"] < files else "creates repeated without an overflow")
print(f"  inwatch: {'PASS' if burst_ok else 'FAIL'} ({why})")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)

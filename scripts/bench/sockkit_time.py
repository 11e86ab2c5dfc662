"""Prints the seconds a command takes, its output discarded: sockkit_time.py [--stdin FILE]
[--wait PID] COMMAND...  (COMMAND's own --stdin FILE, anywhere in it, feeds FILE to it on
standard input; --wait PID first also waits for that process, a receiver, to exit.)"""
import os
import subprocess
import sys
import time

argv = sys.argv[1:]
wait_pid = None
if argv[:1] == ["--wait"]:
    wait_pid = int(argv[1])
    argv = argv[2:]
stdin = subprocess.DEVNULL
if "--stdin" in argv:
    i = argv.index("--stdin")
    stdin = open(argv[i + 1], "rb")
    del argv[i:i + 2]
start = time.monotonic()
rc = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL).returncode
if wait_pid is not None:
    # The receiver is the shell's child, not ours: poll until it is gone.
    while os.path.exists(f"/proc/{wait_pid}") and open(f"/proc/{wait_pid}/stat").read().split()[2] != "Z":
        time.sleep(0.001)
elapsed = time.monotonic() - start
if rc != 0:
    sys.exit(f"sockkit_time: {argv[0]} exited with {rc}")
print(f"{elapsed:.4f}")

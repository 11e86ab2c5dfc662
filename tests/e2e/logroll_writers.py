"""Writers for logroll's end-to-end tests: processes appending sequence-numbered lines
("00000042 seq\n") to a log at a steady rate (about 3 MB/s), so a test can count what a rotation lost."""
import signal
import subprocess
import sys
from pathlib import Path

from conftest import wait_until

# argv: the log, a pid file written once the log is open.  Prints the number of lines written
# when SIGTERM stops it.
STEADY_WRITER = r"""
import os, signal, sys, time
stop = False
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
open(sys.argv[2], "w").write(f"{os.getpid()}\n")
i = 0
# A write every 0.2 ms or so, never a pause longer: a rotation's window, however short,
# meets the same stream of writes every time, and a comparison of two tools' losses does not
# depend on whether one of them happened to rotate in a pause.
while not stop:
    os.write(fd, b"".join(b"%08d seq\n" % n for n in range(i, i + 50)))
    i += 50
    time.sleep(0.0002)
print(i)
"""


class SteadyWriters:
    """A STEADY_WRITER on DIR/app.log for each directory, started on entering (once each has
    its log open), killed on leaving if stop() was not called."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "SteadyWriters":
        try:
            for d in self.dirs:
                self.procs.append(subprocess.Popen([sys.executable, "-c", STEADY_WRITER, d / "app.log", d / "w.pid"],
                                                   stdout=subprocess.PIPE))
            for d in self.dirs:
                wait_until((d / "w.pid").exists, timeout=15, what="the writers")
        except BaseException:
            self.__exit__()
            raise
        return self

    def stop(self) -> list[int]:
        """Stops the writers; the number of lines each wrote, in the order of dirs."""
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        return [int(p.communicate(timeout=15)[0]) for p in self.procs]

    def __exit__(self, *_) -> None:
        for p in self.procs:
            p.kill()
            p.wait()

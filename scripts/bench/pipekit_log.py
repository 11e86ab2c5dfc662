#!/usr/bin/env python3
"""pipekit_log.py OUT SIZE: a mixed-format log of about SIZE bytes for scripts/bench/pipekit.sh.

Lines in the four forms `pipekit filter` reads (ERROR:/[error] prefixes, logfmt level=, JSON
"level", syslog <PRI>) at every level, about 1 line in 10 at error or above, and lines with no
level.  A block of 10,000 random lines is written over and over, so a gigabyte takes seconds.
"""
import random
import sys

LEVELS = ["debug", "info", "info", "info", "notice", "warning", "info", "debug", "error", "crit"]
SYSLOG = {"crit": 2, "error": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}
WORDS = ("request served user login cache miss retry connection reset upstream timeout disk "
         "queue worker started stopped payload accepted rejected").split()


def line(rng: random.Random) -> str:
    level = rng.choice(LEVELS)
    msg = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
    ts = f"2026-12-01T11:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}.{rng.randint(0, 999):03}Z"
    form = rng.randrange(6)
    if form == 0:
        return f"{ts} {level.upper()}: {msg} id={rng.randint(1, 10**6)}"
    if form == 1:
        return f"{ts} [{level}] {msg}"
    if form == 2:
        return f'time={ts} level={level} msg="{msg}" took={rng.randint(1, 999)}ms'
    if form == 3:
        return f'{{"time":"{ts}","level":"{level}","msg":"{msg}","n":{rng.randint(1, 999)}}}'
    if form == 4:
        return f"<{8 + SYSLOG[level]}>Dec  1 11:00:00 host app[{rng.randint(1, 99999)}]: {msg}"
    return f"{ts} {msg} (no level)"


def main() -> None:
    out, size = sys.argv[1], int(sys.argv[2])
    rng = random.Random(16)
    block = ("\n".join(line(rng) for _ in range(10_000)) + "\n").encode()
    with open(out, "wb") as f:
        written = 0
        while written < size:
            f.write(block)
            written += len(block)


if __name__ == "__main__":
    main()

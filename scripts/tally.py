#!/usr/bin/env python3
"""tally: counts the test cases of one scripts/test phase from the logs its runners write.

  tally.py [--label LABEL] --skipped FILE meson TESTLOG.json
  tally.py [--label LABEL] --skipped FILE junit RESULT.xml...

meson: a meson test log (DIR/meson-logs/NAME.json); each test counts once, under its suite,
except doctest's binary (suite unit), whose test cases count one by one.  junit: pytest's
--junitxml files (suite e2e), each test case once.  Prints a line per suite, "SUITE LABEL
N passed, N failed, N skipped", then a last line "TOTAL P F S" for scripts/test to add up;
appends a line per skipped test to FILE ("skipped: SUITE LABEL: NAME: REASON"), so that no
skip goes unnamed.
"""
import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

DOCTEST_SUMMARY = re.compile(r"^\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed"
                             r"\s*\|\s*(\d+) skipped", re.M)
PASSED = {"OK", "EXPECTEDFAIL"}


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.skipped_names = []  # (name, reason)

    def add(self, other: "Counts") -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.skipped_names += other.skipped_names


def doctest_skipped(cmd: list) -> list:
    """The test cases a doctest binary skips: those it lists with --no-skip and not without."""
    def cases(*extra):
        p = subprocess.run(cmd[:1] + ["--list-test-cases", "--no-colors=true", *extra],
                           capture_output=True, text=True)
        return {line.strip() for line in p.stdout.splitlines() if line.strip() and not line.startswith("[doctest]")}
    return sorted(cases("--no-skip=true") - cases())


def doctest_counts(test: dict) -> Counts:
    c = Counts()
    m = DOCTEST_SUMMARY.findall(test.get("stdout") or "")
    if m:
        _, p, f, s = map(int, m[-1])
        c.passed, c.failed, c.skipped = p, f, s
        if s:
            names = doctest_skipped(test["command"]) or [f"{s} test cases"]
            c.skipped_names = [(n, "skipped by doctest") for n in names]
    if test["result"] not in PASSED and c.failed == 0:
        c.failed = 1  # it crashed, timed out or reported nothing
    return c


def meson(path: str) -> dict:
    suites = {}
    with open(path) as f:
        for line in f:
            test = json.loads(line)
            project_suite, name = test["name"].split(" / ", 1)  # "syskit:unit / unit-tests"
            suite = project_suite.split(":")[-1]
            c = suites.setdefault(suite, Counts())
            if suite == "unit":
                c.add(doctest_counts(test))
            elif test["result"] in PASSED:
                c.passed += 1
            elif test["result"] == "SKIP":
                c.skipped += 1
                said = (test.get("stdout") or "").strip().splitlines()
                c.skipped_names.append((name, said[-1] if said else "exit 77"))
            else:
                c.failed += 1
    return suites


def junit(paths: list) -> dict:
    c = Counts()
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            c.failed += 1  # pytest did not get as far as writing its results
            continue
        for case in root.iter("testcase"):
            name = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
            if case.find("failure") is not None or case.find("error") is not None:
                c.failed += 1
            elif (skip := case.find("skipped")) is not None:
                c.skipped += 1
                c.skipped_names.append((name, skip.get("message", "")))
            else:
                c.passed += 1
    return {"e2e": c}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="", help="what tells the build apart, e.g. (asan+ubsan)")
    ap.add_argument("--skipped", required=True, help="file to append the skipped tests to")
    ap.add_argument("kind", choices=("meson", "junit"))
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    suites = meson(args.files[0]) if args.kind == "meson" else junit(args.files)
    total = Counts()
    with open(args.skipped, "a") as out:
        for suite, c in sorted(suites.items()):
            label = f"{suite} {args.label}".strip()
            print(f"{label:<40} {c.passed:5d} passed, {c.failed} failed, {c.skipped} skipped")
            for name, reason in c.skipped_names:
                out.write(f"skipped: {label}: {name}: {reason}\n")
            total.add(c)
    print(f"TOTAL {total.passed} {total.failed} {total.skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

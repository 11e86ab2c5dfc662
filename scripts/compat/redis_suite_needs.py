#!/usr/bin/env python3
"""Tells, for each test of a Redis test suite unit that failed against cachenode, whether it
uses a command of a family cachenode keeps out (lists, sets, sorted sets, streams, geo,
scripting, SORT): scripts/compat/redis-suite.sh calls it once per unit.

    redis_suite_needs.py PORT UNIT_TCL LOG < NAMES

PORT: a redis-server, asked (COMMAND DOCS) which group each command belongs to, so that no
list of command names is kept here.  UNIT_TCL: the unit's source; LOG: the unit's log of the
run against cachenode (colour codes removed); NAMES: the failed tests' names, one a line.

A test uses such a command when one is named in the error its failure printed
("unknown command 'lpush'"), called in its body (a word after `r`, `$rd` or another client
variable, or after COMMAND GETKEYS, GETKEYSANDFLAGS, INFO or DOCS) or quoted whole there (`lsearch $commands "eval"`, "script|kill"), or named in its
name (tests made in a loop over commands, "$cmd command is marked with movablekeys").  Prints one line per test: its name, then a tab and the evidence
("list: lpush") or nothing."""
import re
import socket
import sys

KEPT_OUT_GROUPS = {"list": "list", "set": "set", "sorted-set": "sorted set", "stream": "stream",
                   "geo": "geo", "scripting": "scripting"}
# SORT and SORT_RO sit in Redis's "generic" group, but the issue keeps them out by name.
KEPT_OUT_COMMANDS = {"sort": "sort", "sort_ro": "sort"}


def resp_read(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        return [resp_read(f) for _ in range(int(rest))] if int(rest) >= 0 else None
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode()
    if kind == b":":
        return int(rest)
    if kind == b"-":
        raise RuntimeError(rest.decode())
    return rest.decode()


def kept_out(port):
    """{command name: family} of the commands of the kept-out families, from COMMAND DOCS."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n")
        docs = resp_read(s.makefile("rb"))
    families = dict(KEPT_OUT_COMMANDS)
    for name, doc in zip(docs[::2], docs[1::2]):
        fields = dict(zip(doc[::2], doc[1::2]))
        group = fields.get("group")
        if group in KEPT_OUT_GROUPS:
            families[name.lower()] = KEPT_OUT_GROUPS[group]
    return families


HEADER = re.compile(r'^[ \t]*test[ \t]+(\{[^}\n]*\}|"[^"\n]*")', re.M)


def name_pattern(source_name):
    """A regular expression matching the names a test header makes: $variables and [commands]
    stand for anything."""
    parts = re.split(r"(\$\{?\w+\}?|\[[^\]]*\])", source_name[1:-1])
    return re.compile("".join(".+" if i % 2 else re.escape(p) for i, p in enumerate(parts)) + r"\Z", re.S)


def bodies(source):
    """(name pattern, text from the header to the next one) for each test of a unit."""
    heads = list(HEADER.finditer(source))
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(source)
        yield name_pattern(m.group(1)), source[m.start():end]


def failure_text(log, name):
    """What the log printed after the test's [err] or [exception] line."""
    at = log.find(f"]: {name} in ")
    if at < 0:
        return ""
    # It ends at the next test's line, or at the summary of failures that closes the log.
    end = re.compile(r"^(\[(ok|err|exception|skip|ignore)\]:|\*\*\* )", re.M).search(log, at + 1)
    return log[at:end.start() if end else len(log)]


CALL = re.compile(r"(?:(?<![\w$])r|\$\w+)[ \t]+([A-Za-z_]+)\b")
ASKED = re.compile(r"command[ \t]+(?:getkeys|getkeysandflags|info|docs)[ \t]+([A-Za-z_]+)\b", re.I)
QUOTED = re.compile(r'"([A-Za-z_]+)(?:\|[\w-]+)?"')
UNKNOWN = re.compile(r"unknown command '([^']+)'", re.I)


def evidence(name, body, failure, families):
    found = []
    for words in (UNKNOWN.findall(failure), CALL.findall(body), ASKED.findall(body), QUOTED.findall(body),
                  re.findall(r"[A-Za-z_]+", name)):
        for w in words:
            fam = families.get(w.lower())
            if fam and (fam, w.lower()) not in found:
                found.append((fam, w.lower()))
    return ", ".join(f"{fam}: {cmd}" for fam, cmd in found)


def main():
    port, unit_tcl, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    families = kept_out(port)
    with open(unit_tcl, encoding="utf-8", errors="replace") as f:
        tests = list(bodies(f.read()))
    with open(log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    for name in sys.stdin.read().splitlines():
        body = next((text for pattern, text in tests if pattern.match(name)), "")
        print(f"{name}\t{evidence(name, body, failure_text(log, name), families)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Benchmarks permscan against bfs and GNU find running the equivalent predicates, and checks
# that permscan reports exactly the planted problems of the corpus's manifest.json.
#   scripts/bench/permscan.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Target (issue 2): permscan/bfs <= 0.80.
# Exit 0 when the target is met and the findings match the manifest, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=permscan
. "$(dirname "$0")/lib.sh"
target=0.80
permscan=$(bench_build)
corpus=$(bench_corpus "${1:-}")
cd "$corpus" # every tool scans the relative path "tree", as manifest.json names it

# The equivalent of permscan's default checks (tools/permscan/checks.cpp), as find/bfs predicates.
# exposed-secret: bfs and find cannot read file contents, so *.key/*.pem go by name and mode only.
# device-outside-dev: the corpus is outside /dev, so any device node counts.
preds=(
    \( -type f -perm -002 \)                                          # world-writable-file
    -o \( -type d -perm -002 ! -perm -1000 \)                         # world-writable-dir
    -o \( -type f -perm -4000 \)                                      # setuid
    -o \( -type f -perm -2000 \)                                      # setgid
    -o \( -type f \( -name id_rsa -o -name id_dsa -o -name id_ecdsa -o -name id_ed25519
                  -o -name id_ecdsa_sk -o -name id_ed25519_sk -o -name '?*.key' -o -name '?*.pem'
                  -o -name .netrc -o -name .pgpass \) -perm /077 \)   # exposed-secret: keys, credentials
    -o \( -type f \( -name authorized_keys -o -name authorized_keys2 \) -perm /022 \)
    -o \( -type d -name .ssh -perm /077 \)                            # exposed-secret: .ssh not 0700
    -o -xtype l                                                       # dangling-symlink, symlink-loop
    -o -nouser -o -nogroup                                            # unknown-owner
    -o \( -type f -perm /111 -perm /022 \)                            # writable-executable
    -o -type "b,c"                                                    # device-outside-dev
)
# file-capabilities: bfs only (GNU find has no -capable); after -perm /111, as permscan only
# reads security.capability of executables.  bfs -O2: its default -O3 reorders by estimated cost
# and would move -capable first, doing a getxattr on every file (about 2x slower on the corpus).
# GNU find's time is mostly -nouser/-nogroup: it looks up passwd/group for every file.
bfs_cmd=(bfs -O2 tree "${preds[@]}" -o \( -type f -perm /111 -capable \))
find_cmd=(find tree "${preds[@]}")
permscan_cmd=("$permscan" -q tree)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Warm the cache, and make sure every command runs cleanly (permscan: 1 = findings).
for tool in permscan bfs find; do
    declare -n cmd=${tool}_cmd
    rc=0
    "${cmd[@]}" >"$tmp/$tool.out" 2>"$tmp/$tool.err" || rc=$?
    if [ -s "$tmp/$tool.err" ] || { [ "$rc" -ne 0 ] && ! { [ "$tool" = permscan ] && [ "$rc" -eq 1 ]; }; }; then
        die "$tool exited $rc: $(head -c 500 "$tmp/$tool.err")"
    fi
done

# Timing.  hyperfine runs without a shell (-N) and discards stdout; -i because permscan exits 1.
quote() { printf '%q ' "$@"; }
hyperfine -N -i --warmup 1 --runs 5 --style none --export-json "$tmp/times.json" \
    -n permscan "$(quote "${permscan_cmd[@]}")" \
    -n bfs "$(quote "${bfs_cmd[@]}")" \
    -n find "$(quote "${find_cmd[@]}")" >/dev/null 2>"$tmp/hyperfine.err" ||
    die "hyperfine failed: $(cat "$tmp/hyperfine.err")"
/usr/bin/time -o "$tmp/rss" -f %M "${permscan_cmd[@]}" >/dev/null || true
rss=$(tail -n 1 "$tmp/rss") # KiB; time(1) writes "Command exited with non-zero status 1" before it

# Correctness: permscan's JSON findings against the manifest.
rc=0
"$permscan" --format json tree >"$tmp/findings.json" 2>"$tmp/findings.err" || rc=$?
[ "$rc" -le 1 ] || die "permscan --format json exited $rc: $(head -c 500 "$tmp/findings.err")"

# shellcheck disable=SC2185 # find --version takes no path
"$py" - "$tmp/times.json" "$tmp/findings.json" manifest.json "$corpus" "$target" "$rss" \
    "$(bfs --version | head -1)" "$(find --version | head -1)" "$(nproc)" "$tmp/bfs.out" "$tmp/find.out" <<'EOF'
import json, sys
times_f, findings_f, manifest_f, corpus, target, rss, bfs_v, find_v, cpus, bfs_out, find_out = sys.argv[1:]
target = float(target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(times_f))["results"]}
m = json.load(open(manifest_f))
print(f"permscan benchmark: {corpus} ({m['total_files']} files), {cpus} CPUs, {bfs_v}, {find_v}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool in ("permscan", "bfs", "find"):
    note = {"find": "  (no -capable: file-capabilities left out)"}.get(tool, "")
    print(f"  {tool:<9} {med[tool]:7.3f} s{note}")
print(f"  permscan peak RSS: {int(rss) / 1024:.1f} MiB" if rss.strip().isdigit() else f"  permscan peak RSS: ? ({rss.strip()})")
r_bfs, r_find = med["permscan"] / med["bfs"], med["permscan"] / med["find"]
verdict = "PASS" if r_bfs <= target else "FAIL"
ok &= r_bfs <= target
print(f"  permscan/bfs  {r_bfs:.2f}  (target <= {target:.2f}): {verdict}")
print(f"  permscan/find {r_find:.2f}")

checks = {
    "world-writable-file": "world_writable_files",
    "world-writable-dir": "world_writable_dirs_no_sticky",
    "setuid": "setuid",
    "setgid": "setgid",
    "exposed-secret": "private_keys_readable",
    "dangling-symlink": "dangling_symlinks",
}
found = {c: set() for c in checks}
found_all = {}
for line in open(findings_f, encoding="utf-8", errors="surrogateescape"):
    f = json.loads(line)
    found_all.setdefault(f["check"], set()).add(f["path"])
for c in checks:
    found[c] = found_all.get(c, set())
print("correctness: permscan --format json tree vs manifest.json")
print(f"  {'check':<20} {'expected':>8} {'reported':>8} {'missing':>8} {'extra':>6}")
for check, key in checks.items():
    want, got = set(m[key]), found[check]
    missing, extra = sorted(want - got), sorted(got - want)
    bad = bool(missing or extra)
    ok &= not bad
    print(f"  {check:<20} {len(want):>8} {len(got):>8} {len(missing):>8} {len(extra):>6}  {'FAIL' if bad else 'ok'}")
    for tag, paths in (("missing", missing), ("extra", extra)):
        for p in paths[:5]:
            print(f"      {tag}: {p}")
        if len(paths) > 5:
            print(f"      ... {len(paths) - 5} more {tag}")
# The anchors must do the same work: the paths they print against permscan's distinct paths.
# (They differ legitimately only for *.key/*.pem without a PRIVATE KEY block; the corpus has none.)
every = {p for paths in found_all.values() for p in paths}
for tool, out in (("bfs", bfs_out), ("find", find_out)):
    theirs = set(open(out, encoding="utf-8", errors="surrogateescape").read().splitlines())
    same = theirs == every
    print(f"  {tool} prints {len(theirs)} paths, permscan reports {len(every)}: "
          f"{'same set' if same else f'DIFFERENT ({len(theirs - every)} only in {tool}, {len(every - theirs)} only in permscan)'}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF

#!/usr/bin/env bash
# Benchmarks dirsize against du -s (and gdu, for information), and checks that its totals are
# byte-identical to du -s (disk usage) and du -sb (apparent size) on the corpus.
#   scripts/bench/dirsize.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Target (issue 3): dirsize/du <= 0.60.
# Exit 0 when the target is met and the totals match, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=dirsize
. "$(dirname "$0")/lib.sh"
target=0.60
dirsize=$(bench_build)
corpus=$(bench_corpus "${1:-}")
cd "$corpus" # every tool measures the relative path "tree"

export LC_ALL=C
dirsize_cmd=("$dirsize" -q tree)
du_cmd=(du -s tree)
# shellcheck disable=SC2034 # the *_cmd arrays are read through declare -n
# gdu, non-interactive, no progress, a total only, in bytes; for information, when it works here.
gdu_cmd=(gdu -n -p -s -c --no-prefix tree)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Warm the cache, and make sure every command runs cleanly.
tools=(dirsize du)
for tool in dirsize du gdu; do
    declare -n cmd=${tool}_cmd
    rc=0
    "${cmd[@]}" >"$tmp/$tool.out" 2>"$tmp/$tool.err" || rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/$tool.err" ]; then
        [ "$tool" = gdu ] || die "$tool exited $rc: $(head -c 500 "$tmp/$tool.err")"
        echo "bench/dirsize: gdu exited $rc, left out: $(head -c 200 "$tmp/$tool.err")" >&2
        continue
    fi
    if [ "$tool" = gdu ]; then tools+=(gdu); fi
done

# Correctness: the totals, byte for byte, and the breakdown one level down as a set of lines.
check() { # NAME DIRSIZE_ARGS... -- DU_ARGS...
    local name=$1 a=() b=() rc=0
    shift
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    "$dirsize" -q "${a[@]}" tree >"$tmp/$name.dirsize" 2>"$tmp/$name.err" || rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/$name.err" ]; then
        die "dirsize ${a[*]} tree exited $rc: $(head -c 500 "$tmp/$name.err")"
    fi
    du "${b[@]}" tree >"$tmp/$name.du" 2>"$tmp/$name.duerr" || die "du ${b[*]} tree failed: $(head -c 500 "$tmp/$name.duerr")"
}
check blocks -- -s
check apparent -b -- -sb
check depth1 -d 1 -- --max-depth 1
check depth1b -b -d 1 -- -b --max-depth 1

# Timing.  hyperfine runs without a shell (-N) and discards stdout.
quote() { printf '%q ' "$@"; }
names=()
for tool in "${tools[@]}"; do
    declare -n cmd=${tool}_cmd
    names+=(-n "$tool" "$(quote "${cmd[@]}")")
done
hyperfine -N --warmup 1 --runs 5 --style none --export-json "$tmp/times.json" "${names[@]}" \
    >/dev/null 2>"$tmp/hyperfine.err" || die "hyperfine failed: $(cat "$tmp/hyperfine.err")"
/usr/bin/time -o "$tmp/rss" -f %M "${dirsize_cmd[@]}" >/dev/null || die "dirsize failed under time(1)"
rss=$(tail -n 1 "$tmp/rss") # KiB
/usr/bin/time -o "$tmp/rss.du" -f %M "${du_cmd[@]}" >/dev/null || die "du failed under time(1)"
rss_du=$(tail -n 1 "$tmp/rss.du")

"$py" - "$tmp" "$corpus" "$target" "$rss" "$rss_du" "$(du --version | head -1)" \
    "$(gdu --version 2>/dev/null | sed -n 's/^Version:[[:space:]]*//p' | head -1)" "$(nproc)" <<'EOF'
import json, os, sys
tmp, corpus, target, rss, rss_du, du_v, gdu_v, cpus = sys.argv[1:]
target = float(target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(os.path.join(tmp, "times.json")))["results"]}
m = json.load(open(os.path.join(corpus, "manifest.json")))
print(f"dirsize benchmark: {corpus} ({m['total_files']} files), {cpus} CPUs, {du_v}, gdu {gdu_v or '?'}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool, note in (("dirsize", "  dirsize -q tree"), ("du", "  du -s tree"),
                   ("gdu", "  gdu -n -p -s -c --no-prefix tree (for information)")):
    if tool in med:
        print(f"  {tool:<8} {med[tool]:7.3f} s{note}")
    else:
        print(f"  {tool:<8}       - (did not run here)")
def mib(kib):
    return f"{int(kib) / 1024:.1f} MiB" if kib.strip().isdigit() else f"? ({kib.strip()})"
print(f"  peak RSS: dirsize {mib(rss)}, du {mib(rss_du)}")
ratio = med["dirsize"] / med["du"]
ok &= ratio <= target
print(f"  dirsize/du  {ratio:.2f}  (target <= {target:.2f}): {'PASS' if ratio <= target else 'FAIL'}")
if "gdu" in med:
    print(f"  dirsize/gdu {med['dirsize'] / med['gdu']:.2f}")

print("correctness: dirsize against du on the same tree")
def read(name, ext):
    return open(os.path.join(tmp, f"{name}.{ext}"), "rb").read()
for name, what in (("blocks", "dirsize tree    vs du -s tree "), ("apparent", "dirsize -b tree vs du -sb tree")):
    a, b = read(name, "dirsize"), read(name, "du")
    same = a == b
    ok &= same
    shown = a.decode("utf-8", "surrogateescape").strip().replace("\t", " ")
    theirs = b.decode("utf-8", "surrogateescape").strip().replace("\t", " ")
    print(f"  {what}: {shown!s:<24} {'byte-identical' if same else f'DIFFERENT (du: {theirs})'}")
for name, what in (("depth1", "dirsize -d 1 tree    vs du --max-depth 1 tree   "),
                   ("depth1b", "dirsize -b -d 1 tree vs du -b --max-depth 1 tree")):
    a, b = read(name, "dirsize").splitlines(), read(name, "du").splitlines()
    same = sorted(a) == sorted(b)
    ok &= same
    extra, missing = set(a) - set(b), set(b) - set(a)
    print(f"  {what}: {len(a)} lines, "
          + ("same lines" if same else f"DIFFERENT ({len(extra)} only in dirsize, {len(missing)} only in du)"))
    for line in sorted(extra)[:3]:
        print(f"      only in dirsize: {line!r}")
    for line in sorted(missing)[:3]:
        print(f"      only in du:      {line!r}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF

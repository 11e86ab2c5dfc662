#!/usr/bin/env bash
# Benchmarks dirsize against du -s (and gdu, for information), and checks that its totals are
# byte-identical to du -s (disk usage) and du -sb (apparent size) on the corpus.
#   scripts/bench/dirsize.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Target (issue 3): dirsize/du <= 0.60;
# goal (issue 22): dirsize at most 1.2x the floor, the same walk's system calls alone; the floor ratio
# is also measured in pairs (scripts/bench/floor_ratio.py), steadier on a loaded machine.
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
# shellcheck disable=SC2034
floor_cmd=("$(bench_floor tree)" tree)

bench_tmpdir

# Warm the cache, and make sure every command runs cleanly.
tools=(dirsize du floor)
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
names=()
for tool in "${tools[@]}"; do
    declare -n cmd=${tool}_cmd
    names+=(-n "$tool" "$(bench_quote "${cmd[@]}")")
done
bench_hyperfine "$tmp/times.json" -N --warmup 1 --runs 5 "${names[@]}"
rss=$(bench_rss "${dirsize_cmd[@]}") || die "dirsize failed under time(1)"
# The floor's ratio again, the two run in pairs (scripts/bench/floor_ratio.py).
"$py" "$here/floor_ratio.py" 9 "$tmp/floor.json" -- "${dirsize_cmd[@]}" -- "${floor_cmd[@]}"
rss_du=$(bench_rss "${du_cmd[@]}") || die "du failed under time(1)"

"$py" "$here/dirsize_report.py" "$tmp" "$corpus" "$target" "$rss" "$rss_du" "$(du --version | head -1)" \
    "$(gdu --version 2>/dev/null | sed -n 's/^Version:[[:space:]]*//p' | head -1)" "$(nproc)"

#!/usr/bin/env bash
# Benchmarks dupfind against jdupes, rdfind and fdupes on the shared corpus, and checks that
# dupfind finds exactly the duplicate groups of the corpus's manifest.json and of jdupes -r,
# compared per inode.
#   scripts/bench/dupfind.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD (default: build/, built by scripts/build when unset).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Targets (issue 3):
# dupfind/jdupes <= 0.35, dupfind's peak RSS <= 64 MiB.  Goals (issue 22): dupfind's walk and
# grouping (tests/bench/dupfind_walk.cpp) at most 1.3x the floor (walk-floor: the same walk's
# system calls alone); on a cold page cache (dropped before each run: needs root), median of
# $SYSKIT_COLD_RUNS (3) rounds alternating which tool goes first, dupfind/jdupes <= 0.3; a
# second run with --cache over the unchanged tree at most 0.1x its first run, cold.
# Exit 0 when the targets are met and the groups match, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=dupfind
. "$(dirname "$0")/lib.sh"
target=0.35
rss_target_mib=64
dupfind=$(bench_build tests/bench/dupfind-walk)
corpus=$(bench_corpus "${1:-}")
cd "$corpus" # every tool searches the relative path "tree", as manifest.json names it

bench_tmpdir
[ "$(id -u)" = 0 ] || die "the cold-cache rows drop the page cache: run as root"

# Each tool as the issue measures it: recursive, no progress, no action.  rdfind always writes a
# results file: to /dev/null here.
dupfind_cmd=("$dupfind" -q tree)
jdupes_cmd=(jdupes -r -q tree)
rdfind_cmd=(rdfind -dryrun true -outputname /dev/null tree)
fdupes_cmd=(fdupes -r -q tree)
floor_cmd=("$(bench_floor tree)" tree)
walk_cmd=("$(dirname "$(dirname "$(dirname "$dupfind")")")/tests/bench/dupfind-walk" tree)

# Warm the cache, and make sure every command runs cleanly (dupfind: 1 = duplicates found).
for tool in dupfind jdupes rdfind fdupes; do
    declare -n cmd=${tool}_cmd
    rc=0
    "${cmd[@]}" >"$tmp/$tool.out" 2>"$tmp/$tool.err" || rc=$?
    if [ -s "$tmp/$tool.err" ] || { [ "$rc" -ne 0 ] && ! { [ "$tool" = dupfind ] && [ "$rc" -eq 1 ]; }; }; then
        die "$tool exited $rc: $(head -c 500 "$tmp/$tool.err")"
    fi
done

# Correctness inputs: dupfind's groups in JSON, every name of each file (--hardlinks).
rc=0
"$dupfind" -q --format json --hardlinks tree >"$tmp/groups.json" 2>"$tmp/groups.err" || rc=$?
[ "$rc" -eq 1 ] || die "dupfind --format json exited $rc: $(head -c 500 "$tmp/groups.err")"

# Timing.  hyperfine runs without a shell (-N) and discards stdout; -i because dupfind exits 1.
bench_hyperfine "$tmp/times.json" -N -i --warmup 1 --runs 5 \
    -n dupfind "$(bench_quote "${dupfind_cmd[@]}")" \
    -n jdupes "$(bench_quote "${jdupes_cmd[@]}")" \
    -n rdfind "$(bench_quote "${rdfind_cmd[@]}")" \
    -n fdupes "$(bench_quote "${fdupes_cmd[@]}")" \
    -n dupfind-walk "$(bench_quote "${walk_cmd[@]}")" \
    -n floor "$(bench_quote "${floor_cmd[@]}")"
rss=$(bench_rss "${dupfind_cmd[@]}") || true # KiB; dupfind exits 1 when it finds something

# Cold, and the hash cache (scripts/bench/dupfind_cold.py); fdupes, the slowest by far, is
# left out of the cold rounds.
"$py" "$here/dupfind_cold.py" "$tmp/cold.json" "${SYSKIT_COLD_RUNS:-3}" "$tmp/xdg" \
    "dupfind=$(bench_quote "${dupfind_cmd[@]}")" "jdupes=$(bench_quote "${jdupes_cmd[@]}")" \
    "rdfind=$(bench_quote "${rdfind_cmd[@]}")" || die "the cold-cache runs failed"

"$py" "$here/dupfind_report.py" "$tmp/times.json" "$tmp/cold.json" "$tmp/groups.json" manifest.json "$corpus" "$target" "$rss" \
    "$rss_target_mib" \
    "$(jdupes --version | head -1)" "$(rdfind -v | head -1)" "$(fdupes --version | head -1)" "$(nproc)" \
    "$tmp/jdupes.out"

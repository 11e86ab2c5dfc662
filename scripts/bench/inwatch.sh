#!/usr/bin/env bash
# Benchmarks inwatch against inotifywait (inotify-tools), issue 4:
#   1. set-up of -r on the corpus's tree (10,000 directories): the time from start until every
#      watch is established, median of 5, warm cache.  inotifywait: until it prints "Watches
#      established." on stderr.  inwatch: the whole run of `inwatch -r -t 0.001 TREE`, whose
#      timeout starts once every watch is in place; this also counts its exit (closing a
#      descriptor holding 10,000 watches), so it is an upper bound.  Target: inwatch/inotifywait
#      <= 0.50.
#   2. a burst: one process creates 100,000 empty files as fast as it can in a watched empty
#      directory, each tool alone in monitor mode (-m -e create) writing to a file; after the
#      burst and a settle (no output for 3 s), the unique names reported against those created,
#      the repeats, and whether an overflow was reported.  PASS when inwatch reports every file
#      exactly once, or reports an overflow and (with its rescan) every file at least once.
#
#   scripts/bench/inwatch.sh [CORPUS_DIR]   (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary is $SYSKIT_BUILD/tools/inwatch/inwatch when SYSKIT_BUILD is set, else build/'s
# (built first).  BURST_FILES changes the burst's size.
# Exit 0 when both targets are met, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=inwatch
. "$(dirname "$0")/lib.sh"
target=0.50
files=${BURST_FILES:-100000}
inwatch=$(bench_build)
command -v inotifywait >/dev/null || die "inotifywait: not installed (inotify-tools)"
corpus=$(bench_corpus "${1:-}")

bench_tmpdir "${TMPDIR:-/tmp}/inwatch-bench.XXXXXX"

"$py" "$here/inwatch_run.py" "$inwatch" "$corpus/tree" "$tmp" "$files" "$target" \
    "$(inotifywait --help 2>&1 | head -1)" "$(nproc)"

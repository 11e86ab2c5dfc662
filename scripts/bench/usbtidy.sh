#!/usr/bin/env bash
# Times usbtidy organize on a drive's top level of 100,000 files against the same work done
# by find -exec mv (scripts/bench/usbtidy_find.sh, batched with "{} +"), and checks both make
# the same folders (issue 18).  Each run starts from the same flat tree (usbtidy_tree.py
# reset, outside the timing); hyperfine -N, warm cache, USBTIDY_BENCH_RUNS runs (default 5)
# of each, median.  usbtidy also journals every move and flushes the journal (fdatasync)
# before each batch of 4096; the anchor writes no journal and flushes nothing.
# Target: usbtidy at least 1.0x the speed of the anchor.
#   scripts/bench/usbtidy.sh [FILES]       builds build/ and uses it; FILES default 100000
#   SYSKIT_BUILD=DIR scripts/bench/usbtidy.sh   uses DIR as it is
# The tree lives in $TMPDIR (default /var/tmp), on the file system it is on.
# Exit 0 when every check passes, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=usbtidy
. "$(dirname "$0")/lib.sh"
target=1.0
files=${1:-100000}
runs=${USBTIDY_BENCH_RUNS:-5}
say() { echo "bench/usbtidy: $*"; }

usbtidy=$(bench_build)
command -v hyperfine >/dev/null || die "hyperfine not found"
bench_tmpdir "${TMPDIR:-/var/tmp}/usbtidy-bench.XXXXXX"
tree=$tmp/drive
"$py" "$here/usbtidy_tree.py" make "$tree" "$files" || die "cannot make the tree"
failed=0

# The same result from both, file for file.
"$usbtidy" organize "$tree" >/dev/null || die "usbtidy organize failed"
"$py" "$here/usbtidy_tree.py" layout "$tree" >"$tmp/usbtidy.layout"
"$usbtidy" undo "$tree" >/dev/null || die "usbtidy undo failed"
[ -z "$(find "$tree" -mindepth 1 -type d -print -quit)" ] || die "usbtidy undo left folders"
sh "$here/usbtidy_find.sh" "$tree"
"$py" "$here/usbtidy_tree.py" layout "$tree" >"$tmp/find.layout"
"$py" "$here/usbtidy_tree.py" reset "$tree"
moved=$(grep -c / "$tmp/usbtidy.layout" || true)
bench_check cmp -s "$tmp/usbtidy.layout" "$tmp/find.layout"
say "same folders: usbtidy and find -exec mv each moved $moved of $files files alike $v"

reset=$(bench_quote "$py" "$here/usbtidy_tree.py" reset "$tree")
bench_hyperfine "$tmp/times.json" -N --runs "$runs" --prepare "$reset" \
    -n usbtidy "$(bench_quote "$usbtidy" organize "$tree")" \
    -n find "$(bench_quote sh "$here/usbtidy_find.sh" "$tree")"
read -r t_usbtidy t_find < <("$py" -c '
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(r["usbtidy"], r["find"])' "$tmp/times.json")
ratio=$("$py" -c "print(f'{$t_find / $t_usbtidy:.2f}')")
bench_check "$py" -c "import sys; sys.exit(0 if $t_find / $t_usbtidy >= $target else 1)"
say "organize $files files: usbtidy $(printf '%.3f' "$t_usbtidy") s, find -exec mv $(printf '%.3f' "$t_find") s" \
    "(median of $runs): ${ratio}x the anchor's speed (target >= ${target}x) $v"
exit "$failed"

#!/usr/bin/env bash
# Benchmarks pipekit against its anchors, in one run, warm cache, median of RUNS (hyperfine):
#   pump       between two pipes, against cat, pv -q and pipekit_splice (the floor: the
#              smallest splice(2) loop, pipekit_splice.c beside this script), on a 1 GB file;
#   filter     on a 1 GB mixed-format log (pipekit_log.py), against grep -E with the pattern
#              that keeps the same lines;
#   send/recv  framed, through a FIFO, against cat FILE > FIFO with cat FIFO on the other side.
# The source and sink of the pump pipelines are pipekit_splice too, so that neither costs more
# than the kernel's moves.  Then the peak RSS of pump and filter, the CPU time of each side of
# the two FIFO pairs (time(1), RUNS runs: on a loaded machine steadier than their elapsed
# time, and no target), and the outputs checked: filter's equal to grep's, recv's to the input,
# pump's to its input.
#   scripts/bench/pipekit.sh [RUNS] [SIZE_MB]      (defaults 5 and 1000)
# Targets (issue 16): pump <= 1.0x cat and pv -q, floor/pump >= 0.8; filter <= 1.0x grep -E;
# send/recv <= 1.0x the cat pair; peak RSS of pump and filter < 16 MiB.
# Exit 0 when every target is met and every output is right, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=pipekit
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
size_mb=${2:-1000}
pipekit=$(bench_build)
command -v pv >/dev/null || die "pv is not installed (scripts/install-deps)"

bench_tmpdir "${TMPDIR:-/var/tmp}/pipekit-bench.XXXXXX"
cd "$tmp"
cc -O2 -o splice "$here/pipekit_splice.c" || die "cannot compile pipekit_splice.c"
"$py" "$here/pipekit_log.py" log "$((size_mb * 1000000))"
fifo=$("$pipekit" fifo --dir "$tmp")

q() { printf '%q' "$1"; }
pk=$(q "$pipekit")
sp=$(q "$tmp/splice")
# The lines pipekit filter keeps of pipekit_log.py's log (level error and above), as grep -E
# finds them: error and crit in each of the four forms; syslog facility 1, severities 0-3.
pattern='(^|[ [])(ERROR|CRIT|error|crit)[]:]|level=(error|crit)|"level":"(error|crit)"|^<(8|9|10|11)>'
pat=$(q "$pattern")

bench_hyperfine times.json --warmup 1 --runs "$runs" \
    -n "pump" "$sp < log | $pk pump -q | $sp > /dev/null" \
    -n "cat" "$sp < log | cat | $sp > /dev/null" \
    -n "pv" "$sp < log | pv -q | $sp > /dev/null" \
    -n "splice" "$sp < log | $sp | $sp > /dev/null" \
    -n "filter" "$pk filter log > filter.out" \
    -n "grep" "grep -E $pat log > grep.out" \
    -n "send/recv" "$pk recv --frame $fifo > /dev/null & $pk send --frame $fifo log; wait" \
    -n "cat pair" "cat $fifo > /dev/null & cat log > $fifo; wait"

# Peak RSS, and the outputs.
"$sp" < log | /usr/bin/time -o rss.pump -f %M "$pipekit" pump -q | md5sum > pump.md5
bench_rss "$pipekit" filter log > rss.filter
md5sum < log > log.md5
"$pipekit" recv --frame "$fifo" > recv.out & "$pipekit" send --frame "$fifo" log
wait
cpu() { /usr/bin/time -a -o "cpu.$1" -f '%U %S' "${@:2}"; } # cpu SIDE COMMAND...
for ((i = 0; i < runs; i++)); do
    cpu recv "$pipekit" recv --frame "$fifo" > /dev/null & cpu send "$pipekit" send --frame "$fifo" log
    wait
    cpu catr cat "$fifo" > /dev/null & cpu catw cat log > "$fifo"
    wait
done
grep -E "$pattern" log > grep.out || true
"$pipekit" filter log > filter.out

"$py" "$here/pipekit_report.py" "$runs" "$size_mb" "$(nproc)"

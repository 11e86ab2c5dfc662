#!/usr/bin/env bash
# Checks fdlock's locking and measures what it costs, against flock(1) (issue 5):
#   1. 8 processes each increment a counter file 500 times, each increment a shell doing
#      read-modify-write under fdlock: the counter must end at exactly 4000.  The same
#      without a lock, smaller, shows that the test can fail.
#   2. 4 shared holders of 1 s run together (the most that held at once is measured from
#      their own time stamps), and an exclusive request made meanwhile is granted only
#      after the last shared holder has let go.
#   3. Per-invocation overhead: "fdlock F true" against "flock F true", hyperfine -N in
#      paired rounds (both commands in each round, alternating which goes first), the
#      median of each round's ratio of medians.  Target: at most 1.0x.
#   scripts/bench/fdlock.sh            builds build/ and uses it
#   SYSKIT_BUILD=DIR scripts/bench/fdlock.sh   uses DIR as it is
# Exit 0 when every check passes, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=fdlock
. "$(dirname "$0")/lib.sh"
target=1.0
rounds=${FDLOCK_BENCH_ROUNDS:-10}
runs=${FDLOCK_BENCH_RUNS:-40}
say() { echo "bench/fdlock: $*"; }

fdlock=$(bench_build)
command -v flock >/dev/null || die "flock(1) not found (util-linux)"
command -v hyperfine >/dev/null || die "hyperfine not found"

bench_tmpdir
failed=0

# 1. The counter.
increment='read n < "$1"; echo $((n + 1)) > "$1"'
count_up() { # count_up PROCESSES INCREMENTS LOCKED
    echo 0 > "$tmp/counter"
    for _ in $(seq "$1"); do
        (
            for _ in $(seq "$2"); do
                if [ "$3" = yes ]; then
                    "$fdlock" "$tmp/counter.lock" sh -c "$increment" sh "$tmp/counter" || exit 1
                else
                    sh -c "$increment" sh "$tmp/counter"
                fi
            done
        ) &
    done
    wait
    cat "$tmp/counter"
}
start=$(date +%s.%N)
got=$(count_up 8 500 yes)
took=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
bench_check [ "$got" = 4000 ]
say "counter: $got after 8 processes x 500 increments under fdlock (expected 4000, $took s) $v"
got=$(count_up 8 100 no)
say "counter without a lock: $got of 800 increments kept (lost updates show the test can fail)"

# 2. Shared locks overlap; an exclusive one waits for all of them.
stamp='date +%s.%N'
hold() { # hold NAME MODE SECONDS: records when it got the lock and when it let go
    "$fdlock" "$2" "$tmp/shared.lock" sh -c "$stamp > $tmp/$1.start; sleep $3; $stamp > $tmp/$1.end"
}
start=$(date +%s.%N)
for i in 1 2 3 4; do hold "s$i" -s 1 & done
wait
took=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
most=$("$py" "$here/fdlock_overlap.py" "$tmp")
bench_check [ "$most" = 4 ]
say "shared: 4 holders of 1 s took $took s together (4 s one after the other), $most holding at once $v"

# The shared holders keep their lock until told to let go, so the exclusive request is
# certainly made while all of them hold it.
for i in 1 2 3 4; do
    "$fdlock" -s "$tmp/shared.lock" sh -c "touch $tmp/t$i.start; until [ -e $tmp/go ]; do sleep 0.01; done; \
        $stamp > $tmp/t$i.end" &
done
until [ -e "$tmp/t1.start" ] && [ -e "$tmp/t2.start" ] && [ -e "$tmp/t3.start" ] && [ -e "$tmp/t4.start" ]; do
    sleep 0.01
done
asked=$(date +%s.%N)
"$fdlock" -x "$tmp/shared.lock" sh -c "$stamp > $tmp/x.start" &
sleep 0.5
early=no
[ -e "$tmp/x.start" ] && early=yes
touch "$tmp/go"
wait
read -r waited after < <("$py" "$here/fdlock_waited.py" "$tmp" "$asked")
bench_check "$py" -c "import sys; sys.exit(not ('$early' == 'no' and $after >= 0))"
say "exclusive: asked while 4 shared locks were held, waited $waited s, got it $after s after the last let go $v"

# 3. Overhead per invocation, against flock(1).
touch "$tmp/F" "$tmp/G"
for r in $(seq "$rounds"); do
    order=(-n fdlock "$fdlock $tmp/F true" -n flock "flock $tmp/G true")
    [ $((r % 2)) -eq 0 ] && order=(-n flock "flock $tmp/G true" -n fdlock "$fdlock $tmp/F true")
    bench_hyperfine "$tmp/round$r.json" -N --warmup 5 --runs "$runs" "${order[@]}"
done
read -r fd_ms fl_ms ratio < <("$py" "$here/fdlock_overhead.py" "$tmp" "$rounds")
say "overhead: fdlock F true ${fd_ms} ms, flock F true ${fl_ms} ms (medians of $rounds paired rounds x $runs runs)"
bench_check "$py" -c "import sys; sys.exit(not $ratio <= $target)"
say "ratio fdlock/flock ${ratio}x (target <= ${target}x) $v"

exit "$failed"

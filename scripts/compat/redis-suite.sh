#!/usr/bin/env bash
# Runs units of Redis's own test suite (from a Redis source tree, 7.0 as the reference) in
# external-server mode against cachenode, and against a redis-server started beside it, and
# prints for each unit how many tests passed on each: the tests that fail on Redis too (they
# need DEBUG, replication or persistence) are the ones not counted against cachenode.
#   scripts/compat/redis-suite.sh REDIS_SRC [UNIT ...]
#   SYSKIT_BUILD=DIR   the build whose cachenode runs (default: build/)
#   SUITE_LOGS=DIR     keep each run's log there (UNIT-PORT.log, colour codes removed)
#   SUITE_TAGS=TAGS    the suite's --tags (default "-needs:debug -needs:repl -needs:save": the
#                      tests that need DEBUG, replication or persistence are left out, as the
#                      bar counts without them; SUITE_TAGS= runs every test)
# Each test that fails on cachenode is run again alone (--only) and counted apart when it then
# passes: an earlier failure had left the shared connection in a state (MULTI) that failed it.
# Each test that still fails is shown with the commands it uses of the families cachenode keeps
# out (lists, sets, sorted sets, streams, geo, scripting, SORT), as redis_suite_needs.py finds
# them in its error, body and name; the total then counts them, and gives the pass rate over
# the tests that do not use them beside the pass rate over all.
# UNIT defaults to the ten the issue names (type/string, type/incr, type/hash, expire, keyspace,
# protocol, multi, info-command, introspection-2, querybuf).  Needs tclsh (Debian's tcl) and
# redis-server.  Exit 0 when every unit ran, 2 on trouble.
set -euo pipefail

if [[ $# -lt 1 || ! -x ${1}/runtest ]]; then
    echo "usage: $0 REDIS_SRC [UNIT ...]  (REDIS_SRC: a Redis source tree with runtest and tests/)" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
shift
units=("$@")
[[ ${#units[@]} -gt 0 ]] || units=(type/string type/incr type/hash expire keyspace protocol multi info-command
    introspection-2 querybuf)
root=$(cd "$(dirname "$0")/../.." && pwd)
cachenode=${SYSKIT_BUILD:-$root/build}/tools/cachenode/cachenode
[[ -x $cachenode ]] || { echo "$0: $cachenode: not built" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "$0: redis-server: not installed" >&2; exit 2; }
command -v tclsh >/dev/null || { echo "$0: tclsh: not installed (apt-get install tcl)" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        redis-cli -p "$1" PING >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$0: nothing answers on port $1" >&2
    exit 2
}

ours=$(free_port)
# Values as large as the suite sends (4 MB in type/string); no eviction, as Redis by default
# (the suite sets maxmemory 1 and expects its keys to stay).
"$cachenode" --port "$ours" --http-port 0 --threads 1 --eviction noeviction --max-memory 512M --max-value 16M --max-request 64M 2>"$work/cachenode.err" &
pids+=($!)
theirs=$(free_port)
redis-server --port "$theirs" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$ours"
wait_port "$theirs"

tags=${SUITE_TAGS--needs:debug -needs:repl -needs:save}
tag_args=()
[[ -z $tags ]] || tag_args=(--tags "$tags")

runtest() {
    local port=$1 unit=$2 base=$3
    shift 3
    (cd "$src" && timeout 600 ./runtest --host 127.0.0.1 --port "$port" --baseport "$base" --portcount 50 \
        --singledb --ignore-encoding --ignore-digest --durable --single "unit/$unit" --timeout 120 "${tag_args[@]}" "$@") \
        >"$work/out" 2>&1 || true
}

# Passed tests of one unit against one port: the suite's "[ok]:" lines, colour codes removed.
run_unit() {
    local port=$1 unit=$2 base=$3
    runtest "$port" "$unit" "$base"
    sed 's/\x1b\[[0-9;]*m//g' "$work/out" >"$work/$(echo "$unit" | tr / _)-$port.log"
    local ok err
    ok=$(grep -c '^\[ok\]:' "$work/$(echo "$unit" | tr / _)-$port.log" || true)
    err=$(grep -Ec '^\[(err|exception)\]:' "$work/$(echo "$unit" | tr / _)-$port.log" || true)
    [[ -z ${SUITE_LOGS:-} ]] || cp "$work/$(echo "$unit" | tr / _)-$port.log" "$SUITE_LOGS/"
    echo "$ok $err"
}

printf '%-18s %16s %16s\n' unit cachenode redis
total_ours=0 total_theirs=0 total_alone=0 total_failed=0 total_kept_out=0
for u in "${units[@]}"; do
    if [[ ! -f $src/tests/unit/$u.tcl ]]; then
        printf '%-18s %s\n' "$u" "no such unit in $src"
        continue
    fi
    read -r ok_o err_o < <(run_unit "$ours" "$u" 17600)
    read -r ok_t err_t < <(run_unit "$theirs" "$u" 17700)
    printf '%-18s %10s passed %10s passed\n' "$u" "$ok_o" "$ok_t"
    # A failed test can leave the unit's shared connection in a state that fails the tests after
    # it (inside a MULTI it never ended): each failed test is run again alone, to tell them apart.
    alone=0
    : >"$work/failed"
    while IFS= read -r name; do
        runtest "$ours" "$u" 17600 --only "$name"
        if sed 's/\x1b\[[0-9;]*m//g' "$work/out" | grep -qF "[ok]: $name ("; then
            alone=$((alone + 1))
            echo "    [ok alone]: $name"
        else
            echo "$name" >>"$work/failed"
        fi
    done < <(grep -E '^\[(err|exception)\]:' "$work/$(echo "$u" | tr / _)-$ours.log" |
             sed -E 's/^\[(err|exception)\]: (.*) in tests\/unit\/.*$/\2/' | head -60)
    [[ $alone -eq 0 ]] || printf '%-18s %10s passed alone\n' "" "$alone"
    # The tests still failing, each with the kept-out commands it uses (after a tab), if any.
    python3 "$root/scripts/compat/redis_suite_needs.py" "$theirs" "$src/tests/unit/$u.tcl" \
        "$work/$(echo "$u" | tr / _)-$ours.log" <"$work/failed" >"$work/needs" ||
        { echo "$0: redis_suite_needs.py failed on $u" >&2; exit 2; }
    while IFS=$'\t' read -r name needs; do
        total_failed=$((total_failed + 1))
        if [[ -n $needs ]]; then
            total_kept_out=$((total_kept_out + 1))
            echo "    [err]: $name  (uses $needs)"
        else
            echo "    [err]: $name"
        fi
    done <"$work/needs"
    total_alone=$((total_alone + alone))
    total_ours=$((total_ours + ok_o))
    total_theirs=$((total_theirs + ok_t))
done
echo "total: cachenode $total_ours passed ($total_alone more alone), redis $total_theirs passed"
passed=$((total_ours + total_alone))
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", b ? 100 * a / b : 0 }'; }
echo "of the $total_theirs: $passed passed on cachenode ($(percent "$passed" "$total_theirs")), $total_failed failed," \
    "$((total_theirs - passed - total_failed)) not run"
echo "failed using a command of a family cachenode keeps out (lists, sets, sorted sets, streams, geo," \
    "scripting, SORT): $total_kept_out"
echo "without those: $passed of $((total_theirs - total_kept_out)) passed" \
    "($(percent "$passed" "$((total_theirs - total_kept_out))"))"

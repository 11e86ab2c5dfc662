#!/usr/bin/env bash
# Benchmarks cachenode against Debian's redis-server, side by side in one run (issue 7):
#   1. Throughput and p99 latency: redis-benchmark -t set,get -c 50 -d 100 at -P 1 and -P 16,
#      against redis-server, cachenode --threads 1 and cachenode with its default threads, in
#      interleaved rounds (the order rotating each round); the median of each figure.
#      Targets: cachenode --threads 1 at least 1.0x Redis's ops/s, p99 no higher than Redis's,
#      for SET and GET at both depths, as the median of the ratios within each round.  The
#      default threads are printed for information.  The same for hashes: -t hset (HSET myhash
#      element:__rand_int__ VALUE) and, as a custom command, HGET myhash element:__rand_int__:
#      target at least 1.0x Redis's ops/s at both depths.  Each test runs on its own, and each
#      server's CPU time per operation in it is printed too (utime and stime from /proc/PID/stat
#      around the run): on a loaded machine the ops/s of one run swing with the load, the CPU
#      an operation costs much less.  So is redis-benchmark's own (user and system time from
#      time(1)): where it, not the server, bounds the rate (-P 16), the ops/s follow its CPU per
#      op, and a server that leaves its CPU idle between batches makes each of the client's
#      writes wake it (HSET at -P 16, measured with perf stat: a context switch of the server
#      per 150-270 ops for cachenode, per 280-1000 for Redis, whose busier loop sleeps less).
#      So each test's line also gives how often the server and the client went to sleep
#      (voluntary context switches, every thread) per 1000 ops.
#      With two CPUs or more, Redis and cachenode --threads 1 run on CPU 0 and redis-benchmark on
#      CPU 1 (taskset, every thread of each): left to the scheduler, the client and the server
#      share a CPU in some rounds and not in others; unpinned, the rounds' ratios spread over
#      0.83-1.37 on a quiet machine, and over 0.93-1.20 against 0.89-0.95 pinned in the same
#      minutes on a loaded one (HSET -P 16).  Both servers are pinned
#      alike; cachenode with its default threads keeps every CPU (pinned to one it would
#      measure one thread), and shares the client's: its figures are for information only.
#   2. Memory: 1,000,000 keys with 100-byte values loaded through redis-cli --pipe into a fresh
#      server of each; VmRSS from /proc/PID/status.  Target: cachenode's at most Redis's.
#   3. HTTP: wrk -c 50 -d 5s on GET /get?key=k (a 100-byte value), median of the runs, against
#      the book's chapter 13 cache (scripts/bench/gocache, built with Debian's Go) in the same
#      rounds.  Target: at least 3x its requests/s.  Each server's CPU time per request is
#      printed too (utime and stime from /proc/PID/stat around each run), and wrk's own; from
#      them, the requests/s each server would reach on this machine were nothing else running
#      (the CPUs shared by wrk and the server only: CPUs / their CPU time per request), and the
#      most any server could reach: the CPUs shared by wrk and the server's time in the kernel.
#   4. Hit ratio: cachenode-hitratio, Zipf 0.99 over 1,000,000 keys with room for 10% of them.
#      Target: the default policy's hit ratio above LRU's.
#   scripts/bench/cachenode.sh                   builds build/ and uses it
#   SYSKIT_BUILD=DIR scripts/bench/cachenode.sh  builds cachenode's targets in DIR
#   CACHENODE_BENCH_RUNS=N (default 5) rounds of redis-benchmark, HTTP_RUNS=N (default 3) of wrk.
# Only ratios measured in the same run mean anything on a shared machine.
# Exit 0 when every target is met, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=cachenode
. "$(dirname "$0")/lib.sh"
runs=${CACHENODE_BENCH_RUNS:-5}
http_runs=${HTTP_RUNS:-3}
cachenode=$(bench_build tools/cachenode/cachenode-hitratio)
hitratio=$(dirname "$cachenode")/cachenode-hitratio
[ -x "$hitratio" ] || die "$hitratio: not built"
for t in redis-server redis-cli redis-benchmark wrk go curl; do
    command -v "$t" >/dev/null || die "$t not found (scripts/install-deps installs it)"
done

tmp=$(mktemp -d)
servers=()
stop_all() {
    for pid in "${servers[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    servers=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

# Nine loopback ports, all free at once (held together while chosen, so none repeats).
read -r -a ports < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(9)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

wait_ready() { # wait_ready PORT PID
    for _ in $(seq 200); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        kill -0 "$2" 2>/dev/null || die "the server on port $1 exited: $(tail -c 500 "$tmp/server-$1.err")"
        sleep 0.05
    done
    die "the server on port $1 did not answer PING within 10 s"
}
start_redis() { # start_redis PORT; sets pid
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --daemonize no \
        --loglevel warning >/dev/null 2>"$tmp/server-$1.err" &
    pid=$!
    servers+=("$pid")
    wait_ready "$1" "$pid"
}
start_cachenode() { # start_cachenode PORT HTTP_PORT [OPTIONS...]; sets pid
    local port=$1 http_port=$2
    shift 2
    "$cachenode" --port "$port" --http-port "$http_port" "$@" >/dev/null 2>"$tmp/server-$port.err" &
    pid=$!
    servers+=("$pid")
    wait_ready "$port" "$pid"
}

(cd "$repo/scripts/bench/gocache" && go build -o "$tmp/gocache" .) >"$tmp/go-build.txt" 2>&1 ||
    die "building scripts/bench/gocache failed: $(tail -c 500 "$tmp/go-build.txt")"

# sleeps PID: how many times the process has gone to sleep waiting (voluntary context switches,
# every thread).  Each time a server's loop sleeps, the client's next request has to wake it.
sleeps() { cat "/proc/$1"/task/*/status | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n }'; }
# utime and stime of a process, in clock ticks; cpu_ticks PID: their sum.
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# 1. Throughput and p99 latency.
redis_port=${ports[0]} cn1_port=${ports[1]} cn1_http=${ports[2]} cnN_port=${ports[3]} cnN_http=${ports[4]}
start_redis "$redis_port"
redis_pid=$pid
start_cachenode "$cn1_port" "$cn1_http" --threads 1
cn1_pid=$pid
start_cachenode "$cnN_port" "$cnN_http"
cnN_pid=$pid
client_cpu=()
if [ "$(nproc)" -ge 2 ]; then
    taskset -a -p -c 0 "$redis_pid" >/dev/null
    taskset -a -p -c 0 "$cn1_pid" >/dev/null
    client_cpu=(taskset -c 1)
fi
cnN_threads=$(redis-cli -p "$cnN_port" info server | tr -d '\r' | sed -n 's/^threads://p')
echo "bench/cachenode: redis-benchmark, $runs rounds (each takes about a minute)" >&2
order=(redis cn1 cnN)
for round in $(seq "$runs"); do
    for depth in 1 16; do
        # About 3 s per test at the rates this machine gives: long enough that one stall of a
        # few milliseconds does not move the p99.
        if [ "$depth" = 1 ]; then n=150000; else n=2500000; fi
        for server in "${order[@]}"; do
            declare -n port=${server}_port server_pid=${server}_pid
            # One test per run, so that each has its server's CPU time and the client's, and
            # how often each went to sleep: "TICKS REQUESTS CLIENT_USER CLIENT_SYSTEM
            # SERVER_SLEEPS CLIENT_SLEEPS TEST" lines beside the CSV rows (TEST as the CSV names
            # it; the client's times in seconds).
            for test in "-t set" "-t get" "-t hset" "HGET myhash element:__rand_int__"; do
                csv=$tmp/rb-$server-$depth-$round.csv
                before=$(cpu_ticks "$server_pid") slept=$(sleeps "$server_pid")
                # shellcheck disable=SC2086 # the words of the test are separate arguments
                /usr/bin/time -f "%U %S %w" -o "$tmp/rb.time" "${client_cpu[@]}" \
                    redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -d 100 -n "$n" -P "$depth" --csv $test \
                    >"$tmp/rb.csv" 2>"$tmp/rb.err" ||
                    die "redis-benchmark $test against $server failed: $(tail -c 500 "$tmp/rb.err")"
                after=$(cpu_ticks "$server_pid") slept=$(($(sleeps "$server_pid") - slept))
                if [ -f "$csv" ]; then tail -n +2 "$tmp/rb.csv" >>"$csv"; else cp "$tmp/rb.csv" "$csv"; fi
                read -r cu cs cw < <(tail -n 1 "$tmp/rb.time")
                echo "$((after - before)) $n $cu $cs $slept $cw $(tail -n 1 "$tmp/rb.csv" | cut -d, -f1 | tr -d '"')" \
                    >>"$tmp/rb-$server-$depth-$round.ticks"
            done
            unset -n port server_pid
        done
    done
    order=("${order[@]:1}" "${order[0]}")
done

# 3. HTTP, while the throughput servers are up, and the Go cache beside them.
go_http=${ports[8]}
"$tmp/gocache" -addr "127.0.0.1:$go_http" 2>"$tmp/go.err" &
go_pid=$!
servers+=("$go_pid")
value=$(printf 'v%.0s' $(seq 100))
for _ in $(seq 200); do
    curl -sf -X POST -d "{\"key\":\"k\",\"value\":\"$value\"}" "http://127.0.0.1:$go_http/set" && break
    kill -0 "$go_pid" 2>/dev/null || die "the Go cache exited: $(tail -c 500 "$tmp/go.err")"
    sleep 0.05
done
[ "$(curl -sf "http://127.0.0.1:$go_http/get?key=k")" = "{\"value\":\"$value\"}" ] ||
    die "the Go cache does not answer GET /get?key=k with the value set"
redis-cli -p "$cnN_port" set k "$value" >/dev/null
redis-cli -p "$cn1_port" set k "$value" >/dev/null
declare -A http_pid=([cnN]=$cnN_pid [cn1]=$cn1_pid [go]=$go_pid)
declare -A http_at=([cnN]=$cnN_http [cn1]=$cn1_http [go]=$go_http)
for round in $(seq "$http_runs"); do
    for server in cnN cn1 go; do
        out=$tmp/wrk-$server-$round.txt
        echo "server_ticks_before: $(ticks "${http_pid[$server]}")" >"$out"
        /usr/bin/time -f "wrk_seconds: %U %S" -a -o "$out" \
            wrk -t 2 -c 50 -d 5s "http://127.0.0.1:${http_at[$server]}/get?key=k" >>"$out" 2>&1 ||
            die "wrk against $server failed: $(tail -c 500 "$out")"
        echo "server_ticks_after: $(ticks "${http_pid[$server]}")" >>"$out"
    done
done
redis_version=$(redis-cli -p "$redis_port" info server | tr -d '\r' | sed -n 's/^redis_version://p')
stop_all

# 2. Memory: fresh servers, the same 1,000,000 SETs through redis-cli --pipe.
"$py" "$here/cachenode_load.py" >"$tmp/load.resp"
start_redis "${ports[5]}"
mem_redis_pid=$pid
start_cachenode "${ports[6]}" "${ports[7]}" --threads 1 --max-memory 1G
mem_cn_pid=$pid
for port in "${ports[5]}" "${ports[6]}"; do
    redis-cli -p "$port" --pipe <"$tmp/load.resp" >"$tmp/pipe-$port.txt" 2>&1 ||
        die "redis-cli --pipe into port $port failed: $(tail -c 500 "$tmp/pipe-$port.txt")"
    grep -q 'errors: 0, replies: 1000000' "$tmp/pipe-$port.txt" ||
        die "loading port $port: $(tail -n 2 "$tmp/pipe-$port.txt")"
done
mem_redis_keys=$(redis-cli -p "${ports[5]}" dbsize)
mem_cn_keys=$(redis-cli -p "${ports[6]}" dbsize)
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
mem_redis_rss=$(rss "$mem_redis_pid")
mem_cn_rss=$(rss "$mem_cn_pid")
stop_all

# 4. Hit ratio.
# --help wraps an option's text: the default is on a line after --eviction's.
default_policy=$("$cachenode" --help |
  awk '/--eviction / { f = 1 } f && match($0, /default: [a-z0-9]+/) { print substr($0, RSTART + 9, RLENGTH - 9); exit }')
[ -n "$default_policy" ] || die "cachenode --help names no default eviction policy"
"$hitratio" --keys 1000000 --alpha 0.99 --cache-percent 10 >"$tmp/hitratio.txt" 2>&1 ||
    die "cachenode-hitratio failed: $(tail -c 500 "$tmp/hitratio.txt")"

"$py" "$here/cachenode_report.py" "$tmp" "$runs" "$http_runs" "$redis_version" "$cnN_threads" \
    "$(getconf CLK_TCK)" \
    "$mem_redis_keys" "$mem_cn_keys" "$mem_redis_rss" "$mem_cn_rss" "$default_policy" "$(nproc)"

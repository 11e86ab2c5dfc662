#!/usr/bin/env bash
# Measures sockkit against socat (issue 17), same run, warm cache, median of several runs:
#   1. echo server: the same client (sockkit echo send) streams 64 MiB through
#      "sockkit echo serve" and through socat's echo (socat ...-LISTEN,fork PIPE), on a Unix
#      socket and on TCP loopback.  Target: at least 1.0x socat.
#   2. bulk client: 64 MiB through sockkit's echo server with sockkit echo send as the client,
#      and with socat as the client.  Target: at least 1.0x socat.
#   3. UDP: 200 MB with udp send/recv (--chunk 60000, loopback's MTU allows it) at 0% loss
#      against the same file over TCP with socat (at least 0.5x), and at 20% loss against
#      its own 0% goodput (at least 0.5x), and against uftp unicast on loopback (at least 1.0x).
#      Files on /dev/shm, so neither side waits for a disk.
#   4. sockkit bench: Unix socket against TCP loopback, latency and throughput.
#   scripts/bench/sockkit.sh                 builds build/ and uses it
#   SYSKIT_BUILD=DIR scripts/bench/sockkit.sh  uses DIR as it is
# Exit 0 when every check passes, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=sockkit
. "$(dirname "$0")/lib.sh"
runs=${SOCKKIT_BENCH_RUNS:-5}
say() { echo "bench/sockkit: $*"; }

sockkit=$(bench_build)
command -v socat >/dev/null || die "socat not found"
command -v uftp >/dev/null || die "uftp not found"
bench_tmpdir /dev/shm/sockkit-bench-XXXXXX
failed=0
head -c $((64 << 20)) /dev/urandom > "$tmp/echo.dat"
head -c 200000000 /dev/urandom > "$tmp/udp.dat"

# Seconds a command takes, its output discarded.
seconds() { "$py" "$here/sockkit_time.py" "$@"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_listening() { # wait_listening unix:PATH | tcp:PORT
    for _ in $(seq 200); do
        case $1 in
        unix:*) [ -S "${1#unix:}" ] && return 0 ;;
        tcp:*) "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])))" "${1#tcp:}" \
            2>/dev/null && return 0 ;;
        esac
        sleep 0.05
    done
    die "nothing listens on $1"
}
# start_server NAME ADDR: our echo server or socat's on ADDR (unix:PATH or tcp:PORT); sets $server.
start_server() {
    local name=$1 addr=$2
    if [ "$name" = sockkit ]; then
        case $addr in
        unix:*) "$sockkit" echo serve "$addr" 2>/dev/null & ;;
        tcp:*) "$sockkit" echo serve "tcp:127.0.0.1:${addr#tcp:}" 2>/dev/null & ;;
        esac
    else
        case $addr in
        unix:*) socat "UNIX-LISTEN:${addr#unix:},fork" PIPE & ;;
        tcp:*) socat "TCP-LISTEN:${addr#tcp:},fork,reuseaddr" PIPE & ;;
        esac
    fi
    server=$!
    wait_listening "$addr"
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; rm -f "$tmp/echo.sock"; }
client_addr() { case $1 in unix:*) echo "$1" ;; tcp:*) echo "tcp:127.0.0.1:${1#tcp:}" ;; esac; }
socat_addr() { case $1 in unix:*) echo "UNIX-CONNECT:${1#unix:}" ;; tcp:*) echo "TCP:127.0.0.1:${1#tcp:}" ;; esac; }

ratio() { "$py" -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$@"; }
ge() { "$py" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$@"; }

# 1 and 2.
for transport in unix tcp; do
    # Servers: each round runs both, alternating which goes first.
    ours=() theirs=()
    for round in $(seq "$runs"); do
        order=(sockkit socat)
        [ $((round % 2)) = 0 ] && order=(socat sockkit)
        for name in "${order[@]}"; do
            if [ $transport = unix ]; then addr=unix:$tmp/echo.sock; else addr=tcp:$(port); fi
            start_server "$name" "$addr"
            t=$(seconds "$sockkit" echo send "$(client_addr "$addr")" --stdin "$tmp/echo.dat")
            stop_server
            if [ "$name" = sockkit ]; then ours+=("$t"); else theirs+=("$t"); fi
        done
    done
    a=$(printf '%s\n' "${ours[@]}" | median) b=$(printf '%s\n' "${theirs[@]}" | median)
    r=$(ratio "$b" "$a")
    bench_check ge "$r" 1.0
    say "$v echo server over $transport: sockkit ${a}s, socat ${b}s for 64 MiB: ${r}x socat (target >= 1.0)"

    ours=() theirs=()
    if [ $transport = unix ]; then addr=unix:$tmp/echo.sock; else addr=tcp:$(port); fi
    start_server sockkit "$addr"
    for round in $(seq "$runs"); do
        ta=$(seconds "$sockkit" echo send "$(client_addr "$addr")" --stdin "$tmp/echo.dat")
        tb=$(seconds socat -b 65536 -t 5 - "$(socat_addr "$addr")" --stdin "$tmp/echo.dat")
        ours+=("$ta") theirs+=("$tb")
    done
    stop_server
    a=$(printf '%s\n' "${ours[@]}" | median) b=$(printf '%s\n' "${theirs[@]}" | median)
    r=$(ratio "$b" "$a")
    bench_check ge "$r" 1.0
    say "$v bulk client over $transport: sockkit ${a}s, socat ${b}s for 64 MiB: ${r}x socat (target >= 1.0)"
done

# 3.
udp_once() { # udp_once LOSS: seconds for 200 MB through udp send/recv
    local p
    p=$(port)
    rm -f "$tmp/udp.out"
    "$sockkit" udp recv "udp:127.0.0.1:$p" "$tmp/udp.out" --loss "$1" >/dev/null &
    local recv=$!
    sleep 0.2
    local t
    t=$(seconds "$sockkit" udp send "$tmp/udp.dat" "udp:127.0.0.1:$p" --loss "$1" --chunk 60000 --timeout 30)
    wait "$recv" || die "udp recv failed"
    cmp -s "$tmp/udp.dat" "$tmp/udp.out" || die "udp transfer not byte-identical"
    echo "$t"
}
tcp_once() {
    local p
    p=$(port)
    rm -f "$tmp/tcp.out"
    socat -u "TCP-LISTEN:$p,reuseaddr" "OPEN:$tmp/tcp.out,creat,trunc" &
    local recv=$!
    sleep 0.2 # a probe connection would be the one socat accepts
    local t
    t=$("$py" "$here/sockkit_time.py" --wait "$recv" socat -u "OPEN:$tmp/udp.dat" "TCP:127.0.0.1:$p")
    cmp -s "$tmp/udp.dat" "$tmp/tcp.out" || die "socat transfer not byte-identical"
    echo "$t"
}
u0=() u20=() tc=()
for _ in $(seq 3); do
    u0+=("$(udp_once 0)") tc+=("$(tcp_once)") u20+=("$(udp_once 0.2)")
done
a=$(printf '%s\n' "${u0[@]}" | median) b=$(printf '%s\n' "${tc[@]}" | median) c=$(printf '%s\n' "${u20[@]}" | median)
r=$(ratio "$b" "$a")
bench_check ge "$r" 0.5
say "$v udp 200 MB at 0% loss: sockkit ${a}s, socat over TCP ${b}s: ${r}x socat (target >= 0.5)"
r=$(ratio "$a" "$c")
bench_check ge "$r" 0.5
say "$v udp 200 MB at 20% loss: ${c}s: ${r}x its own goodput at 0% (target >= 0.5)"
# uftp, Debian's file transfer over UDP, run unicast on loopback: its announcements and data go
# to the receiver's address (-M and -P 127.0.0.1) instead of a multicast group, as fast as it
# can send (-R -1), with no encryption (-Y none), as sockkit sends.
uftp_once() {
    local p out=$tmp/uftp-out
    p=$(port)
    rm -rf "$out" && mkdir "$out"
    uftpd -D "$out" -p "$p" -P "$tmp/uftpd.pid" -L "$tmp/uftpd.log" || die "uftpd did not start"
    sleep 0.2
    local t
    t=$(seconds uftp -M 127.0.0.1 -P 127.0.0.1 -p "$p" -R -1 -Y none -L "$tmp/uftp.log" "$tmp/udp.dat")
    kill "$(cat "$tmp/uftpd.pid")"
    cmp -s "$tmp/udp.dat" "$out/udp.dat" || die "uftp transfer not byte-identical"
    echo "$t"
}
uf=()
for _ in $(seq 3); do uf+=("$(uftp_once)"); done
b=$(printf '%s\n' "${uf[@]}" | median)
r=$(ratio "$b" "$a")
bench_check ge "$r" 1.0
say "$v udp 200 MB at 0% loss: sockkit ${a}s, uftp ${b}s: ${r}x uftp (target >= 1.0)"

# 4.
"$sockkit" bench | sed 's/^/bench\/sockkit: /'
exit "$failed"

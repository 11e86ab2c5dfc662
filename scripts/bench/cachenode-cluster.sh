#!/usr/bin/env bash
# Benchmarks a cluster of cachenodes (--cluster) against a cluster of Debian's redis-server
# (cluster-enabled yes, no persistence), side by side in one run (issue 15), both of three
# masters made by redis-cli --cluster create, each server on one thread:
#   Six servers and redis-benchmark share the machine's CPUs, so the cachenodes run with
#   --busy-poll 0: a node that polls after each request takes the CPU its peers need.
#   1. Throughput: redis-benchmark --cluster -t set, then -t get, -c 50 -d 100 -r 100000 at
#      -P 1 and -P 16, looping, in interleaved rounds; each figure is the requests the servers
#      complete in a 3-second window (INFO commandstats), the median over the rounds.  Target:
#      cachenode's at least 1.0x Redis's for SET and GET at both depths.  Beside it, INFO
#      lines: the CPU time per request (every thread, from /proc/PID/stat) of the servers and of
#      redis-benchmark (the busier of the two), which a loaded machine disturbs far less, and
#      how often each went to sleep (voluntary context switches): the requests and replies are
#      the same bytes, segments and system calls against both clusters, but each time a server
#      sleeps the client's next request has to wake it.
#   2. Reshard: 100,000 keys loaded, then redis-cli --cluster reshard of 4096 slots from the
#      first master to the second; wall time.  Target: at most Redis's.
#   3. Failover: on clusters of 3 masters and 3 replicas (both at a 1000 ms node timeout), a
#      master killed with SIGKILL, timed until its replica answers ROLE as a master and sees the
#      cluster up; the killed master is restarted (it rejoins as a replica) between rounds.
#      Median over the rounds.  Target: at most Redis's.
#   4. Memory: a lone cluster node (every slot) and a cachenode without --cluster, each given the
#      same 100,000 keys of 100 bytes, then 1,000,000; what the keys added to INFO used_memory
#      and to VmRSS, per key.  Target: the cluster node's at most the single node's (1.0x), on
#      both, at both sizes.
#   scripts/bench/cachenode-cluster.sh                   builds build/ and uses it
#   SYSKIT_BUILD=DIR scripts/bench/cachenode-cluster.sh  builds cachenode in DIR
#   CACHENODE_BENCH_RUNS=N (default 5) rounds of redis-benchmark, and of failovers.
# Only ratios measured in the same run mean anything on a shared machine.  Run it with
# nice -n -20: the measuring half starts a session of its own whose autogroup takes that nice
# value, since with autogroups the CPUs are shared between sessions first, whatever the nice
# values of their processes (see own_autogroup in cachenode_cluster.py).
# Exit 0 when every target is met, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=cachenode
. "$(dirname "$0")/lib.sh"
cachenode=$(bench_build)
for t in redis-server redis-cli redis-benchmark; do
    command -v "$t" >/dev/null || die "$t not found (scripts/install-deps installs it)"
done
bench_tmpdir
# In its own session, the measuring half no longer gets the terminal's ^C: pass it on, and wait
# until it has stopped its servers.
"$py" "$here/cachenode_cluster.py" "$cachenode" "$tmp" "${CACHENODE_BENCH_RUNS:-5}" &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null' INT TERM
while :; do
    wait "$bench" && rc=0 || rc=$?
    kill -0 "$bench" 2>/dev/null || break
done
exit "$rc"

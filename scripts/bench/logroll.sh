#!/usr/bin/env bash
# Benchmarks logroll's pipe mode against rotatelogs (apache2-utils), multilog (daemontools) and
# svlogd (runit): 2,000,000 sequence-numbered lines (about 210 MB) read from standard input and
# rotated every 10 MiB, and checks for each tool that the concatenation of its files equals the
# input byte for byte (no line lost, split across files or duplicated).  Then the same with
# logroll --compress zstd: decompressed, the output must still equal the input.
#   scripts/bench/logroll.sh [RUNS]      (default 5)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1, median per tool.  Target (issue 6): logroll/rotatelogs <= 1.0.
# Then config mode against logrotate: a glob matching 1,000 logs of 4 KB in one directory,
# rotated by logroll --config -f and by logrotate -f with the same block, each from a fresh
# copy of the same tree (brand-new, then as an earlier run of each left it), and checked to
# leave the same result.  Every row also prints the CPU time (user + system, hyperfine's
# means), which the load of a shared machine disturbs less than the wall time.  Target (issue 21):
# logroll/logrotate <= 1.0.
# Exit 0 when the targets are met and logroll's output is exact, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=logroll
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
target=1.0
logroll=$(bench_build)

bench_tmpdir "${TMPDIR:-/var/tmp}/logroll-bench.XXXXXX"
cd "$tmp"

# 2,000,000 lines of 105 bytes: an 8-digit sequence number, then text.
"$py" "$here/logroll_input.py" > input

# Each tool reads the input file on standard input and rotates at 10 MiB into out/.
# multilog and svlogd keep at most n files: 1000 keeps them all.
cmds=(
    "logroll:$(printf '%q' "$logroll") --size 10M out/app < input 2>/dev/null"
    "rotatelogs:rotatelogs -n 1000 out/app 10M < input"
    "multilog:multilog s10485760 n1000 ./out < input"
    "svlogd:svlogd out < input"
)
prepare() { # prepare TOOL: an empty out/, with svlogd's config
    case $1 in
        svlogd) echo "rm -rf out && mkdir out && printf 's10485760\nn1000\n' > out/config" ;;
        *) echo "rm -rf out && mkdir out" ;;
    esac
}
args=()
for c in "${cmds[@]}"; do
    name=${c%%:*}
    args+=(-n "$name" --prepare "$(prepare "$name")" "${c#*:}")
done
bench_hyperfine times.json --warmup 1 --runs "$runs" "${args[@]}"

# Correctness: one more run of each, kept.
for c in "${cmds[@]}"; do
    name=${c%%:*}
    bash -c "$(prepare "$name")"
    bash -c "${c#*:}" || die "$name failed"
    mv out "out-$name"
done
rm -rf out && mkdir out
"$logroll" --size 10M --compress zstd out/app < input 2>/dev/null || die "logroll --compress zstd failed"
mv out out-zstd

failed=0
"$py" "$here/logroll_report.py" "$target" "$(nproc)" "$runs" || failed=1

# Config mode: 1,000 logs of 4 KB (tree/), one block for both tools, twice: a first run (a
# brand-new tree, no lock file, no state file of either tool), and the steady state of an
# hourly timer (the lock file an earlier logroll run left, the state file an earlier
# logrotate run left; logroll keeps none for a block without an interval).
"$py" - <<'PY'
import os
os.mkdir("tree")
for i in range(1000):
    with open(f"tree/app{i:04d}.log", "w") as f:
        f.write(f"log {i} " + "x" * 4000 + "\n")
PY
block=" {\n    rotate 4\n    create 0640 root adm\n    missingok\n    notifempty\n}\n"
printf "%s/many/*.log$block" "$tmp" > many.conf
config_row() { # config_row JSON RESET: both tools on many.conf, RESET before each run
    bench_hyperfine "$1" --warmup 1 --runs "$runs" --prepare "$2" \
        -n logroll "$(printf '%q' "$logroll") --config many.conf --state logroll.state -f" \
        -n logrotate "logrotate -s logrotate.state -f many.conf"
}
reset="rm -rf many && cp -a tree many && rm -f logroll.state logrotate.state"
config_row config-first.json "$reset"
bash -c "$reset"
"$logroll" --config many.conf --state logroll.state -f 2>/dev/null || die "logroll --config failed"
logrotate -s logrotate.state.before -f many.conf || die "logrotate failed"
rm -rf steady && cp -a tree steady && cp many/.logroll.lock steady/
reset="rm -rf many && cp -a steady many && rm -f logroll.state && cp logrotate.state.before logrotate.state"
config_row config-steady.json "$reset"
# Correctness: one more run of each, kept.
bash -c "$reset"
"$logroll" --config many.conf --state logroll.state -f 2>/dev/null || die "logroll --config failed"
mv many many-logroll
bash -c "$reset"
logrotate -s logrotate.state -f many.conf || die "logrotate failed"
mv many many-logrotate
"$py" "$here/logroll_config_report.py" "$target" "$runs" || failed=1
exit "$failed"

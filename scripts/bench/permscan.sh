#!/usr/bin/env bash
# Benchmarks permscan against bfs and GNU find running the equivalent predicates, and checks
# that permscan reports exactly the planted problems of the corpus's manifest.json.
#   scripts/bench/permscan.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Target (issue 2): permscan/bfs <= 0.80;
# goal (issue 22): permscan at most 1.2x the floor, the same walk's system calls alone; the floor ratio
# is also measured in pairs (scripts/bench/floor_ratio.py), steadier on a loaded machine.
# Exit 0 when the target is met and the findings match the manifest, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=permscan
. "$(dirname "$0")/lib.sh"
target=0.80
permscan=$(bench_build)
corpus=$(bench_corpus "${1:-}")
cd "$corpus" # every tool scans the relative path "tree", as manifest.json names it

# The equivalent of permscan's default checks (tools/permscan/checks.cpp), as find/bfs predicates.
# exposed-secret: bfs and find cannot read file contents, so *.key/*.pem go by name and mode only.
# device-outside-dev: the corpus is outside /dev, so any device node counts.
preds=(
    \( -type f -perm -002 \)                                          # world-writable-file
    -o \( -type d -perm -002 ! -perm -1000 \)                         # world-writable-dir
    -o \( -type f -perm -4000 \)                                      # setuid
    -o \( -type f -perm -2000 \)                                      # setgid
    -o \( -type f \( -name id_rsa -o -name id_dsa -o -name id_ecdsa -o -name id_ed25519
                  -o -name id_ecdsa_sk -o -name id_ed25519_sk -o -name '?*.key' -o -name '?*.pem'
                  -o -name .netrc -o -name .pgpass \) -perm /077 \)   # exposed-secret: keys, credentials
    -o \( -type f \( -name authorized_keys -o -name authorized_keys2 \) -perm /022 \)
    -o \( -type d -name .ssh -perm /077 \)                            # exposed-secret: .ssh not 0700
    -o -xtype l                                                       # dangling-symlink, symlink-loop
    -o -nouser -o -nogroup                                            # unknown-owner
    -o \( -type f -perm /111 -perm /022 \)                            # writable-executable
    -o -type "b,c"                                                    # device-outside-dev
)
# file-capabilities: bfs only (GNU find has no -capable); after -perm /111, as permscan only
# reads security.capability of executables.  bfs -O2: its default -O3 reorders by estimated cost
# and would move -capable first, doing a getxattr on every file (about 2x slower on the corpus).
# GNU find's time is mostly -nouser/-nogroup: it looks up passwd/group for every file.
bfs_cmd=(bfs -O2 tree "${preds[@]}" -o \( -type f -perm /111 -capable \))
find_cmd=(find tree "${preds[@]}")
permscan_cmd=("$permscan" -q tree)
floor_cmd=("$(bench_floor tree)" tree)

bench_tmpdir

# Warm the cache, and make sure every command runs cleanly (permscan: 1 = findings).
for tool in permscan bfs find; do
    declare -n cmd=${tool}_cmd
    rc=0
    "${cmd[@]}" >"$tmp/$tool.out" 2>"$tmp/$tool.err" || rc=$?
    if [ -s "$tmp/$tool.err" ] || { [ "$rc" -ne 0 ] && ! { [ "$tool" = permscan ] && [ "$rc" -eq 1 ]; }; }; then
        die "$tool exited $rc: $(head -c 500 "$tmp/$tool.err")"
    fi
done

# Timing.  hyperfine runs without a shell (-N) and discards stdout; -i because permscan exits 1.
bench_hyperfine "$tmp/times.json" -N -i --warmup 1 --runs 5 \
    -n permscan "$(bench_quote "${permscan_cmd[@]}")" \
    -n bfs "$(bench_quote "${bfs_cmd[@]}")" \
    -n find "$(bench_quote "${find_cmd[@]}")" \
    -n floor "$(bench_quote "${floor_cmd[@]}")"
rss=$(bench_rss "${permscan_cmd[@]}") || true # KiB; permscan exits 1 when it finds something
# The floor's ratio again, the two run in pairs (scripts/bench/floor_ratio.py).
"$py" "$here/floor_ratio.py" 9 "$tmp/floor.json" -- "${permscan_cmd[@]}" -- "${floor_cmd[@]}"

# Correctness: permscan's JSON findings against the manifest.
rc=0
"$permscan" --format json tree >"$tmp/findings.json" 2>"$tmp/findings.err" || rc=$?
[ "$rc" -le 1 ] || die "permscan --format json exited $rc: $(head -c 500 "$tmp/findings.err")"

# shellcheck disable=SC2185 # find --version takes no path
"$py" "$here/permscan_report.py" "$tmp/times.json" "$tmp/findings.json" manifest.json "$corpus" "$target" \
    "$rss" \
    "$(bfs --version | head -1)" "$(find --version | head -1)" "$(nproc)" "$tmp/bfs.out" "$tmp/find.out" \
    "$tmp/floor.json"

#!/usr/bin/env bash
# Benchmarks dupfind against jdupes, rdfind and fdupes on the shared corpus, and checks that
# dupfind finds exactly the duplicate groups of the corpus's manifest.json and of jdupes -r,
# compared per inode.
#   scripts/bench/dupfind.sh [CORPUS_DIR]     (default: $SYSKIT_CORPUS or /var/tmp/syskit-corpus)
# The binary comes from $SYSKIT_BUILD (default: build/, built by scripts/build when unset).
# Warm cache, hyperfine --warmup 1 --runs 5, median per tool.  Targets (issue 3):
# dupfind/jdupes <= 0.35, dupfind's peak RSS <= 64 MiB.
# Exit 0 when the targets are met and the groups match, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=dupfind
. "$(dirname "$0")/lib.sh"
target=0.35
rss_target_mib=64
dupfind=$(bench_build)
corpus=$(bench_corpus "${1:-}")
cd "$corpus" # every tool searches the relative path "tree", as manifest.json names it

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each tool as the issue measures it: recursive, no progress, no action.  rdfind always writes a
# results file: to /dev/null here.
dupfind_cmd=("$dupfind" -q tree)
jdupes_cmd=(jdupes -r -q tree)
rdfind_cmd=(rdfind -dryrun true -outputname /dev/null tree)
fdupes_cmd=(fdupes -r -q tree)

# Warm the cache, and make sure every command runs cleanly (dupfind: 1 = duplicates found).
for tool in dupfind jdupes rdfind fdupes; do
    declare -n cmd=${tool}_cmd
    rc=0
    "${cmd[@]}" >"$tmp/$tool.out" 2>"$tmp/$tool.err" || rc=$?
    if [ -s "$tmp/$tool.err" ] || { [ "$rc" -ne 0 ] && ! { [ "$tool" = dupfind ] && [ "$rc" -eq 1 ]; }; }; then
        die "$tool exited $rc: $(head -c 500 "$tmp/$tool.err")"
    fi
done

# Correctness inputs: dupfind's groups in JSON, every name of each file (--hardlinks).
rc=0
"$dupfind" -q --format json --hardlinks tree >"$tmp/groups.json" 2>"$tmp/groups.err" || rc=$?
[ "$rc" -eq 1 ] || die "dupfind --format json exited $rc: $(head -c 500 "$tmp/groups.err")"

# Timing.  hyperfine runs without a shell (-N) and discards stdout; -i because dupfind exits 1.
quote() { printf '%q ' "$@"; }
hyperfine -N -i --warmup 1 --runs 5 --style none --export-json "$tmp/times.json" \
    -n dupfind "$(quote "${dupfind_cmd[@]}")" \
    -n jdupes "$(quote "${jdupes_cmd[@]}")" \
    -n rdfind "$(quote "${rdfind_cmd[@]}")" \
    -n fdupes "$(quote "${fdupes_cmd[@]}")" >/dev/null 2>"$tmp/hyperfine.err" ||
    die "hyperfine failed: $(cat "$tmp/hyperfine.err")"
/usr/bin/time -o "$tmp/rss" -f %M "${dupfind_cmd[@]}" >/dev/null || true
rss=$(tail -n 1 "$tmp/rss") # KiB; time(1) writes "Command exited with non-zero status 1" before it

"$py" - "$tmp/times.json" "$tmp/groups.json" manifest.json "$corpus" "$target" "$rss" "$rss_target_mib" \
    "$(jdupes --version | head -1)" "$(rdfind -v | head -1)" "$(fdupes --version | head -1)" "$(nproc)" \
    "$tmp/jdupes.out" <<'EOF'
import json, os, sys
(times_f, groups_f, manifest_f, corpus, target, rss, rss_target, jdupes_v, rdfind_v, fdupes_v, cpus,
 jdupes_out) = sys.argv[1:]
target, rss_target = float(target), float(rss_target)
ok = True

med = {r["command"]: r["median"] for r in json.load(open(times_f))["results"]}
m = json.load(open(manifest_f))
print(f"dupfind benchmark: {corpus} ({m['total_files']} files, {m['total_bytes'] / 2**30:.2f} GiB), {cpus} CPUs")
print(f"  anchors: {jdupes_v}; {rdfind_v}; {fdupes_v}")
print("warm cache, median of 5 runs (hyperfine --warmup 1 --runs 5)")
for tool in ("dupfind", "jdupes", "rdfind", "fdupes"):
    ratio = "" if tool == "jdupes" else f"  ({med[tool] / med['jdupes']:.2f}x jdupes)"
    print(f"  {tool:<8} {med[tool]:7.3f} s{ratio}")
r = med["dupfind"] / med["jdupes"]
ok &= r <= target
print(f"  dupfind/jdupes {r:.2f}  (target <= {target:.2f}): {'PASS' if r <= target else 'FAIL'}")
print(f"  dupfind/rdfind {med['dupfind'] / med['rdfind']:.2f}")
print(f"  dupfind/fdupes {med['dupfind'] / med['fdupes']:.2f}")
if rss.strip().isdigit():
    mib = int(rss) / 1024
    ok &= mib <= rss_target
    print(f"  dupfind peak RSS {mib:.1f} MiB  (target <= {rss_target:.0f} MiB): {'PASS' if mib <= rss_target else 'FAIL'}")
else:
    ok = False
    print(f"  dupfind peak RSS: ? ({rss.strip()}): FAIL")


def paths_of(p: str) -> bytes:
    return p.encode("utf-8", "surrogateescape")


def per_inode(groups) -> set:
    """Groups of paths as a set of frozensets of (st_dev, st_ino)."""
    out = set()
    for g in groups:
        out.add(frozenset((st.st_dev, st.st_ino) for st in (os.lstat(p) for p in g)))
    return out


ours_paths = [[paths_of(p) for p in json.loads(line)["paths"]] for line in open(groups_f, encoding="utf-8")]
manifest_groups = [[paths_of(n) for f in g for n in f] for g in m["dup_groups"]]
raw = open(jdupes_out, "rb").read()
jdupes_groups = [g.split(b"\n") for g in raw.rstrip(b"\n").split(b"\n\n")] if raw.strip() else []

ours, want, theirs = per_inode(ours_paths), per_inode(manifest_groups), per_inode(jdupes_groups)
print("correctness: groups compared per inode, as sets of sets of (dev, ino)")
for name, other in (("manifest.json dup_groups", want), ("jdupes -r", theirs)):
    same = ours == other
    ok &= same
    print(f"  dupfind {len(ours)} groups, {name} {len(other)}: "
          f"{'same' if same else f'DIFFERENT ({len(ours - other)} only in dupfind, {len(other - ours)} only in {name})'}")
    for g in sorted(ours - other, key=sorted)[:3]:
        print(f"      only in dupfind: {sorted(g)}")
    for g in sorted(other - ours, key=sorted)[:3]:
        print(f"      only in {name}: {sorted(g)}")
# Every name too (--hardlinks lists all of them), against the manifest, which names each inode fully.
same_names = {frozenset(g) for g in ours_paths} == {frozenset(g) for g in manifest_groups}
ok &= same_names
print(f"  every name of every file (--hardlinks) vs manifest.json: {'same' if same_names else 'DIFFERENT'}")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF

#!/usr/bin/env bash
# Benchmarks logroll's pipe mode against rotatelogs (apache2-utils), multilog (daemontools) and
# svlogd (runit): 2,000,000 sequence-numbered lines (about 210 MB) read from standard input and
# rotated every 10 MiB, and checks for each tool that the concatenation of its files equals the
# input byte for byte (no line lost, split across files or duplicated).  Then the same with
# logroll --compress zstd: decompressed, the output must still equal the input.
#   scripts/bench/logroll.sh [RUNS]      (default 5)
# The binary comes from $SYSKIT_BUILD when set (built there with ninja), else from build/ (scripts/build).
# Warm cache, hyperfine --warmup 1, median per tool.  Target (issue 6): logroll/rotatelogs <= 1.0.
# Exit 0 when the target is met and logroll's output is exact, 1 otherwise, 2 on trouble.
set -euo pipefail

tool=logroll
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
target=1.0
logroll=$(bench_build)

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/logroll-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# 2,000,000 lines of 105 bytes: an 8-digit sequence number, then text.
"$py" - <<'PY' > input
import sys
pad = "x" * 74
w = sys.stdout.buffer
for start in range(0, 2_000_000, 10_000):
    w.write("".join(f"{i:08d} {pad} service=bench level=info\n" for i in range(start, start + 10_000)).encode())
PY

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
    tool=${c%%:*}
    args+=(-n "$tool" --prepare "$(prepare "$tool")" "${c#*:}")
done
hyperfine --warmup 1 --runs "$runs" --style none --export-json times.json "${args[@]}" >/dev/null 2>hyperfine.err ||
    die "hyperfine failed: $(cat hyperfine.err)"

# Correctness: one more run of each, kept.
for c in "${cmds[@]}"; do
    tool=${c%%:*}
    bash -c "$(prepare "$tool")"
    bash -c "${c#*:}" || die "$tool failed"
    mv out "out-$tool"
done
rm -rf out && mkdir out
"$logroll" --size 10M --compress zstd out/app < input 2>/dev/null || die "logroll --compress zstd failed"
mv out out-zstd

"$py" - "$target" "$(nproc)" "$runs" <<'PY'
import json, os, re, subprocess, sys
target, cpus, runs = float(sys.argv[1]), sys.argv[2], sys.argv[3]
inp = open("input", "rb").read()
med = {r["command"]: r["median"] for r in json.load(open("times.json"))["results"]}
ok = True
print(f"logroll benchmark: 2,000,000 lines, {len(inp) / 1e6:.0f} MB on standard input, --size 10M, {cpus} CPUs")
print(f"warm cache, median of {runs} runs (hyperfine --warmup 1)")
for tool in ("logroll", "rotatelogs", "multilog", "svlogd"):
    ratio = "" if tool == "logroll" else f"  (logroll {med['logroll'] / med[tool]:.2f}x)"
    print(f"  {tool:<10} {med[tool]:7.3f} s{ratio}")
r = med["logroll"] / med["rotatelogs"]
ok &= r <= target
print(f"  logroll/rotatelogs {r:.2f}  (target <= {target:.2f}): {'PASS' if r <= target else 'FAIL'}")
print(f"  logroll/multilog {med['logroll'] / med['multilog']:.3f}, logroll/svlogd {med['logroll'] / med['svlogd']:.3f}")


def ordered(d, tool):
    """The tool's files, oldest first, ending with the current one."""
    names = os.listdir(d)
    if tool in ("logroll", "zstd"):
        pat = re.compile(r"app\.(\d{8}T\d{6}Z)(?:\.(\d+))?(\.zst)?$")
        rot = sorted((m[1], int(m[2] or 0), n) for n in names if (m := pat.match(n)))
        return [n for *_, n in rot] + (["app"] if "app" in names else [])
    if tool == "rotatelogs":  # -n: app, app.1, app.2, ... in the order written
        rot = sorted((int(n[4:]), n) for n in names if re.fullmatch(r"app\.\d+", n))
        return ["app"] + [n for _, n in rot]
    # multilog, svlogd: @TAI64N.s files, then current
    return sorted(n for n in names if n.startswith("@")) + ["current"]


def read(path):
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
    return open(path, "rb").read()


print("correctness: the files concatenated, oldest first, against the input")
for tool in ("logroll", "zstd", "rotatelogs", "multilog", "svlogd"):
    d = f"out-{tool}"
    files = ordered(d, tool)
    parts = [read(os.path.join(d, f)) for f in files]
    whole = b"".join(parts)
    split = sum(1 for p in parts[:-1] if p and not p.endswith(b"\n"))
    same = whole == inp
    name = "logroll --compress zstd" if tool == "zstd" else tool
    if tool in ("logroll", "zstd"):
        ok &= same and split == 0
    verdict = "byte for byte equal" if same else f"DIFFERENT ({len(whole)} bytes vs {len(inp)})"
    print(f"  {name:<24} {len(files):3d} files: {verdict}; {split} line(s) split across files")
print("result:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY

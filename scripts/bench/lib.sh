# The set-up every benchmark shares, sourced after setting $tool (the binary measured):
#   tool=dupfind; . "$(dirname "$0")/lib.sh"
#   dupfind=$(bench_build); corpus=$(bench_corpus "${1:-}")
# Diagnostics go to standard error as "bench/TOOL: ...", and trouble exits 2.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/scripts/bench # the benchmarks' Python halves live beside them
py=/usr/bin/python3
die() { echo "bench/$tool: $*" >&2; exit 2; }

# Installs what is missing, builds the tool (and the other ninja targets named) and prints
# the binary's absolute path: in $SYSKIT_BUILD when it is set (those targets only), else in
# build/ (scripts/build).
bench_build() {
    local build
    "$repo/scripts/install-deps" >&2
    if [ -n "${SYSKIT_BUILD:-}" ]; then
        build=$(cd "$SYSKIT_BUILD" && pwd) || die "$SYSKIT_BUILD: no such build tree"
        ninja -C "$build" "tools/$tool/$tool" "$@" >/dev/null || die "$build: cannot build $tool"
    else
        build=$repo/build
        "$repo/scripts/build" >&2 || die "$build: the build failed"
        # The benchmarks' own programs are built only when named (build_by_default: false).
        [ $# -eq 0 ] || ninja -C "$build" "$@" >/dev/null || die "$build: cannot build $*"
    fi
    [ -x "$build/tools/$tool/$tool" ] || die "$build/tools/$tool/$tool: not built"
    echo "$build/tools/$tool/$tool"
}

# Prints the absolute path of the corpus (scripts/bench/mkcorpus.py): the directory given,
# else $SYSKIT_CORPUS, else /var/tmp/syskit-corpus; builds it there when it is missing.
bench_corpus() {
    local corpus=${1:-${SYSKIT_CORPUS:-/var/tmp/syskit-corpus}}
    if [ ! -f "$corpus/manifest.json" ] || [ ! -d "$corpus/tree" ]; then
        echo "bench/$tool: building the corpus in $corpus (takes a few minutes)" >&2
        "$py" "$here/mkcorpus.py" "$corpus" --files 100000 --dirs 10000 --scale 0.25 >&2 ||
            die "$corpus: cannot build the corpus"
    fi
    (cd "$corpus" && pwd)
}

# Makes a temporary directory, $tmp, removed when the script exits; TEMPLATE is mktemp's.
bench_tmpdir() { # bench_tmpdir [TEMPLATE]
    tmp=$(mktemp -d ${1:+"$1"}) || die "cannot make a temporary directory"
    trap 'rm -rf "$tmp"' EXIT
}

# A command line as one word that hyperfine -N splits back into the same words.
bench_quote() { printf '%q ' "$@"; }

# Times commands with hyperfine, warm cache, its results in JSON; trouble when it fails.
bench_hyperfine() { # bench_hyperfine JSON HYPERFINE_ARGS...
    local json=$1
    shift
    hyperfine --style none --export-json "$json" "$@" >/dev/null 2>"$json.err" ||
        die "hyperfine failed: $(cat "$json.err")"
}

# Runs a command under time(1), its stdout discarded, prints its peak RSS in KiB and returns
# its exit status.
bench_rss() { # bench_rss COMMAND...
    local out rc=0
    out=$(mktemp)
    /usr/bin/time -o "$out" -f %M "$@" >/dev/null || rc=$?
    tail -n 1 "$out" # time(1) writes "Command exited with non-zero status N" before it
    rm -f "$out"
    return "$rc"
}

# Runs a check: $v becomes PASS or FAIL, and a failure sets $failed to 1.
bench_check() { # bench_check COMMAND...
    if "$@"; then v=PASS; else v=FAIL; failed=1; fi
}

# Builds the floor program (tests/bench/walk_floor.cpp: the walk's system calls and nothing
# else) in the tool's build tree, checks that it sees the same number of entries below ROOT as
# find does, and prints its absolute path.
bench_floor() { # bench_floor ROOT
    local build=${SYSKIT_BUILD:-$repo/build} counted want
    ninja -C "$build" tests/bench/walk-floor >/dev/null || die "$build: cannot build tests/bench/walk-floor"
    build=$(cd "$build" && pwd)
    counted=$("$build/tests/bench/walk-floor" "$1" | cut -d' ' -f1) || die "walk-floor $1 failed"
    want=$(($(find "$1" | wc -l) - 1))
    [ "$counted" = "$want" ] || die "walk-floor saw $counted entries below $1, find $want"
    echo "$build/tests/bench/walk-floor"
}

# The set-up every benchmark shares, sourced after setting $tool (the binary measured):
#   tool=dupfind; . "$(dirname "$0")/lib.sh"
#   dupfind=$(bench_build); corpus=$(bench_corpus "${1:-}")
# Diagnostics go to standard error as "bench/TOOL: ...", and trouble exits 2.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
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
        "$py" "$repo/scripts/bench/mkcorpus.py" "$corpus" --files 100000 --dirs 10000 --scale 0.25 >&2 ||
            die "$corpus: cannot build the corpus"
    fi
    (cd "$corpus" && pwd)
}

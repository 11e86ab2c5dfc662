#!/bin/sh
# The anchor of scripts/bench/usbtidy.sh: what usbtidy organize DIR does, written with
# find -exec mv as a shell user would: a folder per extension in lower case, other/ for
# files without one, hidden names left alone, never overwriting (mv -n).  Batched with
# "-exec ... {} +", find's fastest form: one mv per few thousand files, not one per file.
set -eu
dir=$1
exts=$(find "$dir" -maxdepth 1 -type f ! -name '.*' -name '?*.*' | sed 's/.*\.//' | tr 'A-Z' 'a-z' | sort -u)
for ext in $exts; do
    mkdir -p "$dir/$ext"
    find "$dir" -maxdepth 1 -type f ! -name '.*' -iname "*.$ext" -exec mv -n -t "$dir/$ext" {} +
done
if [ -n "$(find "$dir" -maxdepth 1 -type f ! -name '.*' -print -quit)" ]; then
    mkdir -p "$dir/other"
    find "$dir" -maxdepth 1 -type f ! -name '.*' -exec mv -n -t "$dir/other" {} +
fi

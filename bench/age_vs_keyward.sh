#!/usr/bin/env bash
# Side by side, in one run: `age -e/-d` (X25519) versus keyward's age implementation on the same
# files of 1 KiB, 1 MiB and 256 MiB; prints the best wall-clock and the best CPU time of each and
# keyward's speed-up on both (small sizes measure mostly process start: keyward-bench loads every
# library keyward_core links, age is one static binary).
#   bench/age_vs_keyward.sh [BUILD_DIR]        (default build/; needs keyward-bench built)
# keyward's side is keyward-bench in its file-tool mode (KEYWARD_AGE_TOOL, see age_bench.cpp):
# process start, key parsing, reading the file, crypto and writing, like the age command.
# Files live in a temporary directory ($TMPDIR); outputs go to /dev/null.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tool="$build/bench/keyward-bench"
command -v age >/dev/null && command -v age-keygen >/dev/null || { echo "age is not installed" >&2; exit 1; }
[ -x "$tool" ] || { echo "build $tool first: cmake --build $build --target keyward-bench" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
age-keygen -o "$dir/key.txt" 2>/dev/null
recipient=$(grep -o 'age1[a-z0-9]*' "$dir/key.txt" | head -n 1)

# best RUNS CMD...: "WALL_MS CPU_MS", the smallest wall-clock time and the smallest user+system
# CPU time over RUNS runs of CMD (bash's `time`, millisecond resolution). CPU time is the fairer
# measure on a loaded machine, where a multi-threaded process gets a larger share of the cores.
best() {
  local runs=$1 i out wall cpu bw=0 bc=0
  shift
  local TIMEFORMAT='%3R %3U %3S'
  for ((i = 0; i < runs; i++)); do
    out=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    read -r r u s <<<"$out"
    wall=$(awk -v r="$r" 'BEGIN { printf "%.3f", r * 1000 }')
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", (u + s) * 1000 }')
    if [ $i -eq 0 ] || awk -v a="$wall" -v b="$bw" 'BEGIN { exit !(a < b) }'; then bw=$wall; fi
    if [ $i -eq 0 ] || awk -v a="$cpu" -v b="$bc" 'BEGIN { exit !(a < b) }'; then bc=$cpu; fi
  done
  echo "$bw $bc"
}

kw_encrypt() { KEYWARD_AGE_TOOL=encrypt KEYWARD_AGE_RECIPIENT=$recipient KEYWARD_AGE_IN=$1 KEYWARD_AGE_OUT=$2 "$tool"; }
kw_decrypt() { KEYWARD_AGE_TOOL=decrypt KEYWARD_AGE_IDENTITY=$dir/key.txt KEYWARD_AGE_IN=$1 KEYWARD_AGE_OUT=$2 "$tool"; }

printf '%-6s %-8s %10s %10s %8s %10s %10s %8s\n' size op "age ms" "kw ms" wall-x "age cpu" "kw cpu" cpu-x
for spec in 1K:1024:20 1M:1048576:10 256M:268435456:5; do
  IFS=: read -r name bytes runs <<<"$spec"
  head -c "$bytes" /dev/urandom >"$dir/plain.$name"
  age -e -r "$recipient" -o "$dir/ct.$name" "$dir/plain.$name"
  # keyward's own output must round-trip through age.
  kw_encrypt "$dir/plain.$name" "$dir/kw.$name"
  age -d -i "$dir/key.txt" "$dir/kw.$name" | cmp -s - "$dir/plain.$name" || { echo "round trip failed" >&2; exit 1; }
  cat "$dir/plain.$name" "$dir/ct.$name" >/dev/null  # warm the page cache

  read -r aew aec <<<"$(best "$runs" age -e -r "$recipient" -o /dev/null "$dir/plain.$name")"
  read -r kew kec <<<"$(best "$runs" kw_encrypt "$dir/plain.$name" /dev/null)"
  read -r adw adc <<<"$(best "$runs" age -d -i "$dir/key.txt" -o /dev/null "$dir/ct.$name")"
  read -r kdw kdc <<<"$(best "$runs" kw_decrypt "$dir/ct.$name" /dev/null)"
  awk -v n="$name" -v aw="$aew" -v kw="$kew" -v ac="$aec" -v kc="$kec" -v op=encrypt \
    'BEGIN { printf "%-6s %-8s %10.1f %10.1f %7.2fx %10.1f %10.1f %7.2fx\n", n, op, aw, kw, aw / kw, ac, kc, (kc > 0 ? ac / kc : 0) }'
  awk -v n="$name" -v aw="$adw" -v kw="$kdw" -v ac="$adc" -v kc="$kdc" -v op=decrypt \
    'BEGIN { printf "%-6s %-8s %10.1f %10.1f %7.2fx %10.1f %10.1f %7.2fx\n", n, op, aw, kw, aw / kw, ac, kc, (kc > 0 ? ac / kc : 0) }'
  rm -f "$dir/plain.$name" "$dir/ct.$name" "$dir/kw.$name"
done

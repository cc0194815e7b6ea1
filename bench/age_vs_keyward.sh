#!/usr/bin/env bash
# Side by side, in one run: `age -e/-d` (X25519) versus keyward's age implementation on the same
# files of 1 KiB, 1 MiB and 256 MiB; prints the best wall time of each and keyward's speed-up.
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

# best_ns RUNS CMD...: the fastest of RUNS runs of CMD, in nanoseconds.
best_ns() {
  local runs=$1 best=0 t0 t1 i
  shift
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    if ((best == 0 || t1 - t0 < best)); then best=$((t1 - t0)); fi
  done
  echo "$best"
}

kw_encrypt() { KEYWARD_AGE_TOOL=encrypt KEYWARD_AGE_RECIPIENT=$recipient KEYWARD_AGE_IN=$1 KEYWARD_AGE_OUT=$2 "$tool"; }
kw_decrypt() { KEYWARD_AGE_TOOL=decrypt KEYWARD_AGE_IDENTITY=$dir/key.txt KEYWARD_AGE_IN=$1 KEYWARD_AGE_OUT=$2 "$tool"; }

printf '%-8s %-8s %12s %12s %12s %10s\n' size op "age ms" "keyward ms" "keyward MB/s" speed-up
for spec in 1K:1024:30 1M:1048576:20 256M:268435456:5; do
  IFS=: read -r name bytes runs <<<"$spec"
  head -c "$bytes" /dev/urandom >"$dir/plain.$name"
  age -e -r "$recipient" -o "$dir/ct.$name" "$dir/plain.$name"
  # Both sides decrypt the same file; keyward's own output is checked to round-trip through age.
  kw_encrypt "$dir/plain.$name" "$dir/kw.$name"
  age -d -i "$dir/key.txt" "$dir/kw.$name" | cmp -s - "$dir/plain.$name" || { echo "round trip failed" >&2; exit 1; }
  cat "$dir/plain.$name" "$dir/ct.$name" >/dev/null  # warm the page cache

  a_enc=$(best_ns "$runs" age -e -r "$recipient" -o /dev/null "$dir/plain.$name")
  k_enc=$(best_ns "$runs" kw_encrypt "$dir/plain.$name" /dev/null)
  a_dec=$(best_ns "$runs" age -d -i "$dir/key.txt" -o /dev/null "$dir/ct.$name")
  k_dec=$(best_ns "$runs" kw_decrypt "$dir/ct.$name" /dev/null)
  for op in encrypt decrypt; do
    if [ $op = encrypt ]; then a=$a_enc k=$k_enc; else a=$a_dec k=$k_dec; fi
    awk -v n="$name" -v op="$op" -v a="$a" -v k="$k" -v b="$bytes" 'BEGIN {
      printf "%-8s %-8s %12.2f %12.2f %12.0f %9.2fx\n", n, op, a / 1e6, k / 1e6, b / (k / 1e9) / 1e6, a / k }'
  done
  rm -f "$dir/plain.$name" "$dir/ct.$name" "$dir/kw.$name"
done

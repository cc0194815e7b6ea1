#!/usr/bin/env bash
# Packages, side by side with age in one run:
#   1. opening a ~1 KiB package in process (keyward-bench BM_PackageOpen1KiB: envelope, payload,
#      high entries with the token) next to keyward's plain age decrypt of 1 KiB (BM_AgeOpen1KiB)
#      and the `age -d` command on a 1 KiB file (best wall-clock of 20 runs; mostly process start);
#   2. `keyward package` and `keyward unpack` of an environment of 10 000 entries end to end
#      (vault open with the documented minimum Argon2id cost, read/seal/open/import in one
#      transaction), best of 3.
#   bench/package_vs_age.sh [BUILD_DIR]     (needs keyward and keyward-bench built, and `age`)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tool="$build/bench/keyward-bench"
kw="$build/keyward"
command -v age >/dev/null && command -v age-keygen >/dev/null || { echo "age is not installed" >&2; exit 1; }
[ -x "$tool" ] && [ -x "$kw" ] || { echo "build $kw and $tool first" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HOME=$dir/home XDG_STATE_HOME=$dir/state XDG_DATA_HOME=$dir/data
mkdir -p "$HOME"

best_ms() {  # best_ms RUNS CMD...: smallest wall-clock time in ms
  local runs=$1 i out b=0 TIMEFORMAT='%3R'
  shift
  for ((i = 0; i < runs; i++)); do
    out=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    out=$(awk -v r="$out" 'BEGIN { printf "%.1f", r * 1000 }')
    if [ $i -eq 0 ] || awk -v a="$out" -v c="$b" 'BEGIN { exit !(a < c) }'; then b=$out; fi
  done
  echo "$b"
}

echo "== 1 KiB open"
age-keygen -o "$dir/key.txt" 2>/dev/null
head -c 1024 /dev/urandom >"$dir/1k"
age -e -r "$(grep -o 'age1[a-z0-9]*' "$dir/key.txt")" -o "$dir/1k.age" "$dir/1k"
echo "age -d (process, 1 KiB file): $(best_ms 20 age -d -i "$dir/key.txt" "$dir/1k.age") ms"
"$tool" --benchmark_filter='BM_PackageOpen1KiB|BM_AgeOpen1KiB' --benchmark_min_time=0.5 2>/dev/null |
  grep -E '^BM_'

echo "== 10 000 entries"
pass=$dir/pass
printf 'bench passphrase\n' >"$pass"
small=(--kdf-memory 8 --kdf-time 1 --kdf-parallelism 1)
"$kw" --vault "$dir/a.db" init --passphrase-file "$pass" "${small[@]}" </dev/null >/dev/null 2>&1
"$kw" --vault "$dir/b.db" init --passphrase-file "$pass" "${small[@]}" </dev/null >/dev/null 2>&1
for c in $(seq 0 9); do
  for i in $(seq 0 999); do printf 'KEY_%d=value-%d-%d-abcdefghijklmnopqrstuvwxyz\n' "$i" "$c" "$i"; done >"$dir/c$c.env"
  "$kw" --vault "$dir/a.db" import --env dev --component "c$c" "$dir/c$c.env" --passphrase-file "$pass" </dev/null >/dev/null 2>&1
done
rcpt=$("$kw" --vault "$dir/b.db" pubkey --passphrase-file "$pass" </dev/null 2>/dev/null | grep '^age1')
pk() {
  "$kw" --vault "$dir/a.db" package --env dev --recipient "$rcpt" --out "$dir/dev.kpkg" \
    --token-out "$dir/dev.token" --force --passphrase-file "$pass" </dev/null
}
up() {
  "$kw" --vault "$dir/b.db" unpack --in "$dir/dev.kpkg" --token "$dir/dev.token" --overwrite \
    --passphrase-file "$pass" </dev/null
}
echo "keyward package (10 000 entries): $(best_ms 3 pk) ms, $(stat -c %s "$dir/dev.kpkg") bytes"
echo "keyward unpack  (10 000 entries): $(best_ms 3 up) ms"
"$tool" --benchmark_filter='BM_Package(Seal|Open)/' 2>/dev/null | grep -E '^BM_'

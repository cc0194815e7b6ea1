#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang, ASan+UBSan). docs/fuzzing.md describes both uses.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#       Long runs: builds build-fuzz/ and runs each target (default: all) for SECONDS (default 60).
#       Corpora grow in fuzz-corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/); crashes
#       land in fuzz-artifacts/<target>/. Prints one summary line per target; exits 1 if any
#       target found something.
#   scripts/fuzz.sh --one BINARY SECONDS SEED_DIR STATS_DIR
#       One short run (what ctest's "fuzz run: <target>" does in CI's asan build): fuzzes from a
#       private copy of SEED_DIR (the checked-in corpus is never written), writes the summary line
#       to STATS_DIR/<target>.txt, and fails on any finding or when nothing was executed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Any sanitizer report is a finding: stop at the first one.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}

# run_one BINARY SECONDS CORPUS_DIR ARTIFACT_DIR -> summary line on stdout; status 1 on a finding.
run_one() {
  local bin=$1 seconds=$2 corpus=$3 artifacts=$4 t result status=0
  t=$(basename "$bin")
  mkdir -p "$corpus" "$artifacts"
  local log=$artifacts/run.log
  if "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED; status=1
  fi
  local execs cov seed
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
  seed=$(grep -Eo 'Seed: [0-9]+' "$log" | head -n 1 || true)
  echo "$t: $result, $execs executions in ${seconds}s, $cov, corpus $(ls "$corpus" | wc -l) files, $seed (log: $log)"
  if [[ $status != 0 ]]; then tail -n 40 "$log" >&2; fi
  [[ $execs -gt 0 ]] || { echo "$t: no executions" >&2; status=1; }
  return $status
}

if [[ ${1:-} == --one ]]; then
  [[ $# == 5 ]] || { echo "usage: $0 --one BINARY SECONDS SEED_DIR STATS_DIR" >&2; exit 2; }
  bin=$2 seconds=$3 seeds=$4 stats=$5
  t=$(basename "$bin")
  mkdir -p "$stats"
  work=$(mktemp -d "${TMPDIR:-/tmp}/kwfuzz.$t.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/corpus"
  cp -r "$seeds"/. "$work/corpus/"
  status=0
  line=$(run_one "$bin" "$seconds" "$work/corpus" "$work/artifacts") || status=$?
  echo "$line"
  echo "$line" | sed 's/ (log: .*//' >"$stats/$t.txt"
  # Keep what a failing run found next to the stats (the work dir goes away).
  if [[ $status != 0 ]]; then cp -r "$work/artifacts" "$stats/$t.artifacts"; fi
  exit $status
fi

seconds=${1:-60}
shift || true
./scripts/install-deps.sh >/dev/null
dir=$(./scripts/build.sh fuzz | tail -n 1)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$dir"/tests/fuzz/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi
status=0
for t in "${targets[@]}"; do
  corpus=fuzz-corpus/$t
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$t" ] && cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  run_one "$dir/tests/fuzz/$t" "$seconds" "$corpus" "fuzz-artifacts/$t" || status=1
done
exit $status

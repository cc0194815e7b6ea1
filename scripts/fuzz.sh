#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each one for SECONDS (default 60).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Corpora grow in fuzz-corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/); crashes land in
# fuzz-artifacts/<target>/. Prints one summary line per target; exits 1 if any target found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
./scripts/install-deps.sh >/dev/null
dir=$(./scripts/build.sh fuzz | tail -n 1)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$dir"/tests/fuzz/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi

# Any sanitizer report is a finding: stop at the first one.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
status=0
for t in "${targets[@]}"; do
  corpus=fuzz-corpus/$t artifacts=fuzz-artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  [ -d "tests/fuzz/corpus/$t" ] && cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log=$artifacts/run.log
  if "$dir/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED; status=1
  fi
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
  echo "$t: $result, $execs executions in ${seconds}s, $cov, corpus $(ls "$corpus" | wc -l) files (log: $log)"
done
exit $status

#!/usr/bin/env bash
# Crash consistency: a writer is killed with SIGKILL at a random point, 50 times. After every
# kill the vault opens, verifies (header MAC, pin, manifest), and every write whose `keyward set`
# had returned 0 before the kill is present with its value.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.sh"
require_tools age-keygen pkill shuf

new_identity
kw init --no-passphrase --recipient "$RECIPIENT" >/dev/null 2>&1
export KEYWARD_IDENTITY=$IDENTITY_FILE
TRIALS=${KEYWARD_TEST_CRASH_TRIALS:-50}
# Kill delays are random but seeded: the seed is printed, KEYWARD_TEST_SEED=N repeats a run.
SEED=${KEYWARD_TEST_SEED:-$(( $(date +%s) % 32768 ))}
echo "crash: seed $SEED (KEYWARD_TEST_SEED=$SEED repeats these kill delays)"
RANDOM=$SEED
: >"$TMP/acked"
# How long one write takes here (sanitizer builds are much slower): kills land anywhere within
# the first few writes of each trial.
t0=$(date +%s%N)
printf 'x' | "$KEYWARD_BIN" -q set dev/calibrate/K
one_ms=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))

for ((t = 0; t < TRIALS; t++)); do
  # The writer: sets keys one after the other and records each acknowledged one.
  (
    for ((i = 0; ; i++)); do
      "$KEYWARD_BIN" -q set "dev/t$t/K$i" < <(printf 'v-%s-%s' "$t" "$i") &
      kpid=$!
      if wait "$kpid"; then echo "dev/t$t/K$i v-$t-$i" >>"$TMP/acked"; fi
    done
  ) &
  loop=$!
  # Let it run for a random time up to ~4 writes, then SIGKILL the keyward process in flight.
  delay_ms=$(( RANDOM % (4 * one_ms + 20) ))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  kill -STOP "$loop" 2>/dev/null || true
  # The writer in flight is a child of the stopped loop (by parent pid, never a pid read from a
  # file that may name a process that has already exited and been replaced).
  pkill -KILL -P "$loop" 2>/dev/null || true
  kill -KILL "$loop" 2>/dev/null || true
  wait "$loop" 2>/dev/null || true
  # The vault must open and verify after every crash.
  expect_exit 0 kw vault info --json
done

kw list --json >"$TMP/list.json"
python3 - "$TMP/list.json" "$TMP/acked" <<'PY'
import json, sys
present = {r["coordinate"] for r in json.load(open(sys.argv[1]))}
acked = [l.split()[0] for l in open(sys.argv[2]) if l.strip()]
missing = [c for c in acked if c not in present]
assert not missing, f"acknowledged writes lost: {missing[:5]}"
assert len(acked) > 0, "no write was acknowledged"
print(f"{len(acked)} acknowledged writes, {len(present)} present")
PY
# Values of acknowledged writes are intact (sample up to 40).
shuf -n 40 --random-source=<(yes "$SEED") "$TMP/acked" | while read -r coord value; do
  expect_eq "$(kw get "$coord")" "$value"
done
echo "crash: ok ($TRIALS trials)"

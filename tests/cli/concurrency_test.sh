#!/usr/bin/env bash
# 8 writer processes x 200 writes each, all at once: every one of the 1,600 writes is present
# afterwards (each write is one IMMEDIATE transaction that re-reads and re-verifies the header).
# Runs on tmpfs when available: this tests locking, not the disk's fsync speed.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.sh"
require_tools age-keygen

new_identity
kw init --no-passphrase --recipient "$RECIPIENT" >/dev/null 2>&1
export KEYWARD_IDENTITY=$IDENTITY_FILE
WRITERS=${KEYWARD_TEST_WRITERS:-8}
WRITES=${KEYWARD_TEST_WRITES:-200}

writer() {
  local w=$1 failures=0
  for ((i = 0; i < WRITES; i++)); do
    printf 'value-%s-%s' "$w" "$i" | "$KEYWARD_BIN" -q set "dev/w$w/K$i" || failures=$((failures + 1))
  done
  echo "$failures" >"$TMP/failures.$w"
}
pids=()
for ((w = 0; w < WRITERS; w++)); do writer "$w" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
for ((w = 0; w < WRITERS; w++)); do expect_eq "$(cat "$TMP/failures.$w")" 0; done

expect_exit 0 kw list --json
count=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "$count" $((WRITERS * WRITES))
# Spot-check values from every writer (the first, a middle and the last write).
for ((w = 0; w < WRITERS; w++)); do
  for i in 0 $((WRITES / 2)) $((WRITES - 1)); do
    expect_eq "$(kw get "dev/w$w/K$i")" "value-$w-$i"
  done
done
expect_exit 0 kw vault info --json
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["revision"] == 1 + int(sys.argv[2]), j' "$OUT" $((WRITERS * WRITES))
echo "concurrency: ok ($((WRITERS * WRITES)) writes)"

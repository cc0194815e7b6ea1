#!/usr/bin/env bash
# `keyward vault repair` killed with SIGKILL at random points (seeded, so a failure can be
# replayed with KW_CRASH_SEED): whatever the point, the vault opens and every record reads back,
# and the vault is either wholly before the repair (the old FIDO2 slot still holds H) or wholly
# after it (H rotated, the old slot unlock-only). The repair runs unlocked by the recovery code of
# tests/hw/fixtures/legacy-fido2, so no device is involved and many kill points are cheap.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/fixtures/legacy-fido2" && pwd)
P=(--passphrase-file "$FIX/passphrase")
CODE=$(cat "$FIX/recovery-code")
SEED=${KW_CRASH_SEED:-12}
RANDOM=$SEED
ROUNDS=${KW_CRASH_ROUNDS:-24}
unset KEYWARD_FIDO2_DEVICES KEYWARD_FIDO2_PIN

check_intact() {  # the vault opens; 6 records; STATE=old or new, never a mix
  expect_exit 0 env KEYWARD_RECOVERY_CODE="$CODE" "$KEYWARD_BIN" vault info --json
  STATE=$(/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
assert j["records"] == 6 and j["high_records"] == 3 and j["verified"], j
e = {x["slot"]: x for x in j["slot_enforcement"]}
old = e[2]["high_key"]
assert bool(j["problems"]) == old, j
print("old" if old else "new")
PY
) || fail "round $1 (seed $SEED): $OUT"
  for i in 1 2 3; do
    expect_exit 0 kw get dev/app/N$i "${P[@]}"
    expect_eq "$OUT" "normal-$i"
    expect_exit 0 env KEYWARD_RECOVERY_CODE="$CODE" setsid -w "$KEYWARD_BIN" get dev/app/H$i
    expect_eq "$OUT" "high-$i"
  done
}

olds=0 news=0
for round in $(seq 1 "$ROUNDS"); do
  rm -rf "$XDG_STATE_HOME"
  cp "$FIX/vault.db" "$KEYWARD_VAULT"
  chmod 600 "$KEYWARD_VAULT"
  rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
  # Kill point: 0..79 ms after the start (the repair takes a few tens of ms on this machine).
  delay=$(printf '0.%03d' $((RANDOM % 80)))
  KEYWARD_RECOVERY_CODE="$CODE" setsid "$KEYWARD_BIN" vault repair </dev/null >/dev/null 2>"$TMP/repair.err" &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check_intact "$round"
  if [[ $STATE == old ]]; then
    olds=$((olds + 1))
    # An interrupted repair can be run again and completes.
    expect_exit 0 env KEYWARD_RECOVERY_CODE="$CODE" "$KEYWARD_BIN" vault repair
    check_intact "$round"
    [[ $STATE == new ]] || fail "round $round: repair after a crash did not complete"
  else
    news=$((news + 1))
  fi
done
echo "fido_repair_crash: ok ($ROUNDS rounds, seed $SEED: $olds killed before commit, $news after)"

#!/usr/bin/env bash
# Repair of a vault made before issue 12 (tests/hw/fixtures/legacy-fido2: a FIDO2 slot with
# uv=discouraged that holds the high key, made by keyward 8801bd3; the authenticator's state comes
# with it and runs in a private simulator instance). The independent attacker derives H from it
# without a touch; `doctor`, `vault info` and `slot list` report it with the fix; the user
# enrols a UV slot on the same key (the gate passes through the old slot once) and runs
# `keyward vault repair`: afterwards the attack gets no H from any slot, the old slot still
# unlocks, every record reads back.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/fixtures/legacy-fido2" && pwd)
SIMD=$TMP/sim
mkdir -p "$SIMD"
cp "$FIX/fido0.json" "$SIMD/fido0.json"
start_private_sim "$SIMD"
trap 'stop_private_sim "$SIMD"; rm -rf "$TMP"' EXIT
pctl "$SIMD" fido0 auto-touch off
cp "$FIX/vault.db" "$KEYWARD_VAULT"
chmod 600 "$KEYWARD_VAULT"
P=(--passphrase-file "$FIX/passphrase")
export KEYWARD_FIDO2_DEVICES="sim:$SIMD/fido0.sock"
unset KEYWARD_FIDO2_PIN

# The hole, shown by the independent client: H from the old slot with no touch and no PIN.
attack "$KEYWARD_VAULT" "$SIMD/fido0.sock"
expect_eq "$(attack_field 1 high)" "missing"  # slot 1 is the passphrase
expect_eq "$(attack_field 2 up_flag)" "false"
expect_eq "$(attack_field 2 high)" "true"

# Reported as a problem, with the fix.
# (doctor's exit code is that of its first problem, which on this machine may be pcscd or the
# udev rule; the vault's problem is checked in the report.)
OUT=$(kw doctor --json 2>/dev/null || true)
expect_contains "$OUT" "keyward vault repair"
/usr/bin/python3 - "$OUT" <<'PY' || fail "doctor: $OUT"
import json, sys
j = json.loads(sys.argv[1])
s = {x["slot"]: x for x in j["vault"]["slots"]}
assert s[2]["enforcement"] == "nothing beyond access to the device" and s[2]["high_key"], s
assert "up=false" in s[2]["problem"], s
assert any("vault repair" in p["fix"] for p in j["problems"]), j["problems"]
PY
expect_exit 0 kw vault info --json "${P[@]}"
/usr/bin/python3 - "$OUT" <<'PY' || fail "vault info: $OUT"
import json, sys
j = json.loads(sys.argv[1])
assert len(j["problems"]) == 1 and "keyward vault repair" in j["problems"][0], j
e = {x["slot"]: x["enforcement"] for x in j["slot_enforcement"]}
assert e == {1: "the passphrase", 2: "nothing beyond access to the device", 3: "the recovery code"}, e
PY
expect_exit 0 kw slot list "${P[@]}"
expect_contains "$OUT" "PROBLEM: slot 2 ('old-key')"

# Before repair, high secrets still come through the old slot (with a warning each time).
pctl "$SIMD" fido0 auto-touch 30
expect_exit 0 kw get dev/app/H1 "${P[@]}"
expect_eq "$OUT" "high-1"
expect_contains "$ERR" "warning: slot 2 ('old-key')"

# Re-enrol: a UV credential on the same key (PIN set first), then the repair.
fido_set_pin "$SIMD/fido0.sock"
expect_exit 0 kw slot add fido2 --label new-key "${P[@]}"
expect_contains "$ERR" "uv required, credProtect 3"
rev_before=$(kw vault info --json "${P[@]}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
expect_exit 0 kw vault repair "${P[@]}"
expect_contains "$ERR" "Repaired: slot(s) 2 no longer hold the high key"
expect_exit 0 kw vault repair "${P[@]}"
expect_contains "$ERR" "Nothing to repair"
pctl "$SIMD" fido0 auto-touch off

# The attack again: no slot yields H; the old slot is unlock-only now.
attack "$KEYWARD_VAULT" "$SIMD/fido0.sock"
echo "$ATTACK" >&2
expect_not_contains "$ATTACK" '"high": true'
expect_eq "$(attack_field 2 holds_high)" "false"
expect_eq "$(attack_field 2 flags)" "0"
expect_eq "$(attack_field 4 answer)" '"ctap error 0x2e"'
OUT=$(kw doctor --json 2>/dev/null || true)
expect_contains "$OUT" '"slots"'
expect_not_contains "$OUT" "vault repair"

# Every record intact: normal ones after unlocking with the old slot, high ones by the new slot
# (PIN + touch) and by the recovery code.
pctl "$SIMD" fido0 auto-touch 30
for i in 1 2 3; do
  expect_exit 0 kw get dev/app/N$i --fido2
  expect_eq "$OUT" "normal-$i"
  expect_exit 0 kw get dev/app/H$i "${P[@]}"
  expect_eq "$OUT" "high-$i"
  expect_not_contains "$ERR" "warning"
  expect_exit 0 env KEYWARD_RECOVERY_CODE="$(cat "$FIX/recovery-code")" "$KEYWARD_BIN" get dev/app/H$i
  expect_eq "$OUT" "high-$i"
done
expect_exit 0 kw vault info --json "${P[@]}"
/usr/bin/python3 - "$OUT" "$rev_before" <<'PY' || fail "vault info after repair: $OUT"
import json, sys
j = json.loads(sys.argv[1])
assert j["problems"] == [] and j["records"] == 6 and j["high_records"] == 3, j
assert j["revision"] > int(sys.argv[2]), j
PY
pctl "$SIMD" fido0 auto-touch off
echo "fido_repair: ok"

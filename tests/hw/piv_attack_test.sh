#!/usr/bin/env bash
# The same-user attacker against a PIV touch-always slot (tests/hw/piv_attack.py: pyscard +
# PyNaCl, no keyward code), even knowing the card PIN: the ECDH with the slot's ephemeral key
# is refused by the card without a touch (69 82), so neither the slot secret nor H is reached.
# The same script given a touch derives H: the attack is real, the card's touch policy is what
# stops it.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 auto-touch off; ctl piv0 touch-timeout 15000; rm -rf "$TMP"' EXIT
init_vault >/dev/null 2>&1
expect_exit 0 enrol_piv $S1 yk-touch --pin-policy once
ctl piv0 auto-touch 50
expect_exit 0 bash -c "printf 'v-H' | setsid -w '$KEYWARD_BIN' set dev/api/H --high --passphrase-file '$PASSFILE' --pin-file '$PINFILE'"
ctl piv0 auto-touch off

# No touch: the card times the touch out and refuses the ECDH.
ctl piv0 touch-timeout 300
OUT=$(/usr/bin/python3 "$(dirname "$0")/piv_attack.py" "$KEYWARD_VAULT" 123456) || fail "attack script: $OUT"
echo "$OUT" >&2
expect_contains "$OUT" '"verify_sw": "9000"'
expect_contains "$OUT" '"sw": "6982"'
expect_contains "$OUT" '"high": false'
expect_not_contains "$OUT" '"slot_secret": true'

# With a touch the same attack goes through: proof that only the touch stood in the way.
ctl piv0 touch-timeout 15000
/usr/bin/python3 "$(dirname "$0")/piv_attack.py" "$KEYWARD_VAULT" 123456 >"$TMP/a.out" 2>&1 &
tool=$!
ctl piv0 touch 20000
wait $tool || fail "attack script: $(cat "$TMP/a.out")"
expect_contains "$(cat "$TMP/a.out")" '"high": true'
echo "piv_attack: ok"

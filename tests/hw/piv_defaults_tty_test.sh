#!/usr/bin/env bash
# The interactive branch of the factory-credential replacement, driven through a pseudo-terminal:
# answering "no" changes nothing; "yes" asks for the new PIN and PUK twice each (no echo), a
# mismatch is refused before the card changes, then the card is enrolled and the new PIN unlocks.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
state() { /usr/bin/python3 -c "import json; print(json.load(open('$HWSIM_STATE/piv0.json'))$1)"; }
ENROL=("$KEYWARD_BIN" slot add piv --serial $S1 --label yk --pin-file "$PINFILE" --passphrase-file "$PASSFILE")

# "no": refused (policy), nothing changed.
printf 'Replace them now?|n\n' >"$TMP/no"
got=0; tty_run "$TMP/no" "${ENROL[@]}" || got=$?
[[ $got == 9 ]] || fail "expected exit 9 after 'no', got $got: $OUT"
expect_contains "$OUT" "nothing was changed"
expect_eq "$(state "['pin_default']")" "True"

# "yes", then the PUK repetition mistyped three times (each mismatch asks again, issue 18):
# refused before the card changes.
printf 'Replace them now?|y\nNew PIV PIN|24681357\nRepeat the PIV PIN|24681357\nNew PIV PUK|11112222\nRepeat the PIV PUK|11113333\nNew PIV PUK|11112222\nRepeat the PIV PUK|11113333\nNew PIV PUK|11112222\nRepeat the PIV PUK|11113333\n' >"$TMP/mismatch"
got=0; tty_run "$TMP/mismatch" "${ENROL[@]}" || got=$?
[[ $got == 2 ]] || fail "expected exit 2 after three PUK mismatches, got $got: $OUT"
expect_contains "$OUT" "try again (2 more)"
expect_contains "$OUT" "differed 3 times"
expect_eq "$(state "['pin_default']")" "True"

# "yes" with matching values: replaced and enrolled; the new PIN never echoes.
printf 'Replace them now?|y\nNew PIV PIN|24681357\nRepeat the PIV PIN|24681357\nNew PIV PUK|11112222\nRepeat the PIV PUK|11112222\n' >"$TMP/yes"
got=0; tty_run "$TMP/yes" "${ENROL[@]}" || got=$?
[[ $got == 0 ]] || fail "expected exit 0, got $got: $OUT"
expect_not_contains "$OUT" "24681357"
expect_not_contains "$OUT" "11112222"
expect_eq "$(state "['pin_default']")" "False"
expect_eq "$(state "['puk_default']")" "False"
expect_eq "$(state "['mgmt_default']")" "False"
printf '24681357\n' >"$TMP/newpin"
ctl piv0 auto-touch 20
expect_exit 0 kw get dev/api/A --piv --pin-file "$TMP/newpin"
expect_eq "$OUT" "alpha"
ctl piv0 auto-touch off
echo "piv_defaults_tty: ok"

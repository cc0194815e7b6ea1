#!/usr/bin/env bash
# The presence gate with a FIDO2 key on the simulator: a high secret is released only by a touch
# (refused / timed out: exit 12, nothing on stdout), whatever unlocked the vault; `run` and
# `export` of several high secrets ask ONCE and show the list; a touch cannot stand in for user
# verification (slot rm / rotate-master need the FIDO2 PIN); the recovery code is the break-glass.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" fido0 status | grep -o 'touch_requests=[0-9]*' | cut -d= -f2; }
export KEYWARD_FIDO2_DEVICES="$D0"
# The slot holds H only with UV required (the default): the key has a FIDO2 PIN, given by env.
fido_set_pin "$FST/fido0.sock" 4321hwsim

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
for k in H1 H2; do
  expect_exit 0 bash -c "printf 'v-$k' | setsid -w '$KEYWARD_BIN' set dev/api/$k --high --passphrase-file '$PASSFILE'"
  expect_contains "$ERR" "authorise \`set\` of 1 gated record(s)"
done
ctl fido0 auto-touch off

# get: touch refused or timed out -> presence (12), nothing printed.
gbg() { kw get dev/api/H1 --passphrase-file "$PASSFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null & BG=$!; }
gbg
ctl fido0 refuse 20000
bg_wait 12
expect_eq "$OUT" ""
expect_contains "$ERR" "dev/api/H1"
gbg
ctl fido0 timeout 20000
bg_wait 12
expect_eq "$OUT" ""
# Touch given: released; the prompt names the command, the parent, the terminal and the list.
gbg
ctl fido0 touch 20000
bg_wait 0
expect_eq "$OUT" "v-H1"
expect_contains "$ERR" "keyward: verify (PIN) and touch your FIDO2 key $D0 (simulated) to release 1 high secret(s) for \`keyward get dev/api/H1 --passphrase-file"
expect_contains "$ERR" "(parent: "
expect_contains "$ERR" "terminal: none"
# Normal secrets never ask.
before=$(touches)
expect_exit 0 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_eq "$(touches)" "$before"

# run with two high secrets: ONE touch, showing both.
ctl fido0 auto-touch 50
before=$(touches)
expect_exit 0 kw run --env dev --passphrase-file "$PASSFILE" -- sh -c 'printf "%s %s %s" "$A" "$H1" "$H2"'
expect_eq "$OUT" "alpha v-H1 v-H2"
expect_eq "$(touches)" "$((before + 1))"
expect_contains "$ERR" "release 2 high secret(s)"
expect_contains "$ERR" "    dev/api/H1"
expect_contains "$ERR" "    dev/api/H2"
# import into prod (high by default): one touch seals the whole file.
before=$(touches)
printf 'P1=one\nP2=two\n' >"$TMP/prod.env"
expect_exit 0 kw import --env prod --component api "$TMP/prod.env" --passphrase-file "$PASSFILE"
expect_eq "$(touches)" "$((before + 1))"
expect_contains "$ERR" "    prod/api/P2"
expect_exit 0 kw get prod/api/P1 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "one"
# export: the same, once.
before=$(touches)
expect_exit 0 kw export --env dev --passphrase-file "$PASSFILE"
expect_contains "$OUT" "H2=v-H2"
expect_eq "$(touches)" "$((before + 1))"
# Unlocking with the key: the unlock touch, then the gate's touch for the listed secrets.
before=$(touches)
expect_exit 0 kw get dev/api/H2 --fido2
expect_eq "$OUT" "v-H2"
expect_eq "$(touches)" "$((before + 2))"
# The gate's signature counters are kept per vault (0600).
f=$(ls "$XDG_STATE_HOME"/keyward/gate/*.counters)
expect_eq "$(stat -c %a "$f")" "600"

# slot rm / rotate-master need verification: a touch alone is not enough, the FIDO2 PIN is.
expect_exit 2 env -u KEYWARD_FIDO2_PIN setsid -w "$KEYWARD_BIN" rotate-master --passphrase-file "$PASSFILE"
expect_contains "$ERR" "FIDO2 PIN"
printf '0000wrong\n' >"$TMP/badpin"
expect_exit 5 kw rotate-master --passphrase-file "$PASSFILE" --fido2-pin-file "$TMP/badpin"
printf '4321hwsim\n' >"$TMP/fpin"
expect_exit 0 kw rotate-master --passphrase-file "$PASSFILE" --fido2-pin-file "$TMP/fpin"
expect_contains "$ERR" "keyward: verify (PIN) and touch your FIDO2 key $D0 (simulated) to authorise \`rotate-master\`"
# The re-keyed vault still releases its high secrets through the same key.
expect_exit 0 kw get dev/api/H1 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "v-H1"

# Recovery code: the break-glass path releases without a device (and verifies).
ctl fido0 auto-touch 50
expect_exit 0 kw slot add recovery --passphrase-file "$PASSFILE"
CODE=$(printf '%s\n' "$OUT" | grep -Eo '[A-Z0-9]{5}(-[A-Z0-9]{5}){7}')
printf '%s\n' "$CODE" >"$TMP/rc"
ctl fido0 auto-touch off
before=$(touches)
expect_exit 0 kw get dev/api/H2 --recovery-code-file "$TMP/rc"
expect_eq "$OUT" "v-H2"
expect_contains "$ERR" "recovery code"
expect_eq "$(touches)" "$before"
echo "fido_gate: ok"

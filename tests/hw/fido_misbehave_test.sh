#!/usr/bin/env bash
# keyward against every misbehaviour switch of the simulated FIDO2 authenticator: a wrong status
# (CTAP error byte) or a truncated reply is a device error (exit 10) with nothing on stdout and
# the vault byte for byte unchanged; a slow authenticator still unlocks.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 misbehave off; ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"
fido_set_pin "$FST/fido0.sock"  # UV required (the default) needs a FIDO2 PIN
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
before=$(vault_hash)
for m in wrong-sw truncate; do
  ctl fido0 misbehave "$m"
  expect_exit 10 kw get dev/api/A --fido2
  expect_eq "$OUT" ""
  expect_contains "$ERR" "keyward: no connected FIDO2 key holds a credential of this vault"
  expect_eq "$(vault_hash)" "$before"
done
ctl fido0 misbehave slow:300
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
ctl fido0 misbehave off
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
echo "fido_misbehave: ok"

#!/usr/bin/env bash
# Regression guard for the CTAPHID messages a FIDO2 unlock sends with one authenticator:
# INIT, getInfo (libfido2's open), clientPIN getKeyAgreement (hmac-secret), one getAssertion.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
trace() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" trace | sed -n 's/.* commands=//p'; }
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 20
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
export KEYWARD_FIDO2_DEVICES="$D0"
ctl fido0 trace-reset
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
expect_eq "$(trace fido0)" "INIT,getInfo,clientPIN.getKeyAgreement,getAssertion"
ctl fido0 auto-touch off
echo "fido_trace: ok"

#!/usr/bin/env bash
# What a FIDO2 unlock with one authenticator sends, as keyward's own protocol properties (not
# libfido2's internal order): exactly one getAssertion and one touch per release; exactly one
# PIN/UV token (the slot requires UV, issue 12), never the legacy getPinToken, setPIN or
# changePIN; never a makeCredential, reset or credential management; the second authenticator,
# not enrolled, is never talked to.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
trace() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" trace | sed -n 's/.* commands=//p'; }
fido_set_pin "$FST/fido0.sock"  # UV required (the default) needs a FIDO2 PIN
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 20
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
export KEYWARD_FIDO2_DEVICES="$D0"
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" status | sed -n 's/.*touch_requests=\([0-9]*\).*/\1/p'; }
count() { tr ',' '\n' <<<"$1" | grep -cx "$2" || true; }
ctl fido0 trace-reset
ctl fido1 trace-reset
t0=$(touches fido0)
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
tr0=$(trace fido0)
echo "fido0 trace: $tr0"
expect_eq "$(count "$tr0" getAssertion)" 1
expect_eq "$(touches fido0)" "$((t0 + 1))"
expect_eq "$(count "$tr0" clientPIN.getPinUvAuthTokenUsingPinWithPermissions)" 1
for c in makeCredential reset CBOR-0A clientPIN.getPinToken clientPIN.setPIN \
         clientPIN.changePIN; do
  expect_eq "$(count "$tr0" "$c")" 0
done
expect_eq "$(trace fido1)" ""
ctl fido0 auto-touch off
echo "fido_trace: ok"

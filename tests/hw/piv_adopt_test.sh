#!/usr/bin/env bash
# Adopting a P-256 key already on the card (generated with yubico-piv-tool): policies come from
# the card's metadata, the attestation is still verified; an empty slot cannot be adopted.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
require_tools yubico-piv-tool
reset_piv
yubico-piv-tool -r "Virtual PCD 00 01" -a verify-pin -P 123456 -a generate -s 85 -A ECCP256 \
  --pin-policy=once --touch-policy=never -o "$TMP/pub.pem" >/dev/null 2>&1 ||
  fail "yubico-piv-tool generate failed"

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 6 enrol_piv $S2 none --adopt --piv-slot 86
expect_contains "$ERR" "nothing to adopt"
expect_exit 2 enrol_piv $S2 none --adopt
expect_exit 0 enrol_piv $S2 adopted --adopt --piv-slot 85
expect_contains "$ERR" "Adopted the P-256 key of YubiKey $S2 (simulated) in PIV slot 85 (touch never, PIN once)"
expect_contains "$ERR" "SIMULATOR"
expect_exit 0 kw slot list --passphrase-file "$PASSFILE"
expect_contains "$OUT" "YubiKey $S2 key 85 touch=never pin=once attestation=verified-simulator"
# Unlocking goes through ECDH with the adopted key (touch never: no touch prompt).
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
expect_not_contains "$ERR" "Touch your"
echo "piv_adopt: ok"

#!/usr/bin/env bash
# The real-root path of PIV attestation (--trust-ca / KEYWARD_PIV_TRUST_CA, not the simulator
# switch KEYWARD_PIV_TRUST_SIM_CA): the simulator's CA given as the root verifies and the slot is
# recorded as "verified" (not "verified-simulator"); a root the test makes itself, which did not
# sign the card's attestation, refuses the enrolment with the vault unchanged.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
require_tools openssl
reset_piv
unset KEYWARD_PIV_TRUST_SIM_CA
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null

# A throw-away root CA of the test's own (P-256, self-signed): not the card's issuer.
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/other-ca.key" 2>/dev/null
openssl req -x509 -new -key "$TMP/other-ca.key" -subj "/CN=keyward test root" -days 2 \
  -out "$TMP/other-ca.pem" 2>/dev/null
before=$(vault_hash)
expect_exit 8 enrol_piv $S1 yk --trust-ca "$TMP/other-ca.pem"
expect_eq "$OUT" ""
expect_contains "$ERR" "keyward: the card's attestation does not verify: unable to get local issuer certificate"
expect_eq "$(vault_hash)" "$before"
# The same through the environment variable.
before=$(vault_hash)
expect_exit 8 env KEYWARD_PIV_TRUST_CA="$TMP/other-ca.pem" setsid -w "$KEYWARD_BIN" slot add piv \
  --serial $S1 --label yk --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_eq "$(vault_hash)" "$before"

# The card's real issuer as the trusted root: verified, and recorded as a real verification.
reset_piv
expect_exit 0 enrol_piv $S1 yk --trust-ca "$HWSIM_STATE/attestation-ca.pem"
expect_contains "$ERR" "Attestation verified against $HWSIM_STATE/attestation-ca.pem"
expect_not_contains "$ERR" "SIMULATOR"
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
/usr/bin/python3 -c 'import json,sys; p=[s for s in json.loads(sys.argv[1]) if s["type"] == "piv"]; assert len(p) == 1 and p[0]["attestation"] == "verified", p' "$OUT" ||
  fail "slot list: $OUT"
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
ctl piv0 auto-touch off
echo "piv_trust_ca: ok"

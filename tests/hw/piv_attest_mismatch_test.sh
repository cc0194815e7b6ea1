#!/usr/bin/env bash
# Issue 14: keyward's check of a PIV attestation against the key it just generated. The simulator
# attests something else (`ctl piv0 attest-lie`): another public key, another serial, another
# touch policy. Each is a chain that verifies under the trusted root, so only the comparison with
# the generated key catches it: exit 8 with the documented message, the vault unchanged.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 attest-lie off >/dev/null 2>&1; rm -rf "$TMP"' EXIT
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null

for lie in key serial touch; do
  reset_piv
  ctl piv0 attest-lie "$lie"
  before=$(vault_hash)
  expect_exit 8 enrol_piv $S1 "yk-$lie"
  expect_contains "$ERR" "keyward: the attestation of "
  expect_contains "$ERR" "does not match the generated key, serial or policy"
  expect_not_contains "$ERR" "Attestation verified"
  expect_eq "$(vault_hash)" "$before"
  expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
  /usr/bin/python3 -c 'import json,sys; assert not [s for s in json.loads(sys.argv[1]) if s["type"] == "piv"]' "$OUT" ||
    fail "a PIV slot was added despite the $lie mismatch: $OUT"
done

# The honest card enrols (the test's own control: the comparison is not refusing everything).
reset_piv
ctl piv0 attest-lie off
expect_exit 0 enrol_piv $S1 yk
expect_contains "$ERR" "Attestation verified"
echo "piv_attest_mismatch: ok"

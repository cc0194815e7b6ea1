#!/usr/bin/env bash
# AES management keys: a card like YubiKey firmware 5.7 (factory AES-192 management key, the same
# default bytes as the old 3DES one) is enrolled with the guided replacement; the new random
# management key stays AES-192 (never downgraded to 3DES), is stored PIN-protected, and a second
# enrolment authenticates with it; the new PIN unlocks. A wrong --management-key-file is refused
# with a clear error and nothing changes; an AES-256 key is accepted with --management-key-file.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
sim() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$@"; }
state() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$HWSIM_STATE/$1.json'))$2)"; }
DEFAULT_KEY=010203040506070801020304050607080102030405060708

# ---- Card 0 as firmware 5.7: default AES-192 management key.
sim piv0 factory-reset 5.7 >/dev/null
expect_contains "$(sim piv0 status)" "firmware=5.7.1 mgmt_alg=0a"
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
printf '11223344\n' >"$TMP/newpin"
printf '87654321\n' >"$TMP/newpuk"

# Wrong management keys: clear errors, non-zero exit, vault and card unchanged.
printf '%s\n' 0102030405060708010203040506070801020304050607ff >"$TMP/wrong192"
openssl rand -hex 32 >"$TMP/k256"
printf 'not hex at all\n' >"$TMP/nothex"
sum=$(vault_hash)
expect_exit 5 enrol_piv $S1 yk-bad --management-key-file "$TMP/wrong192"
expect_contains "$ERR" "YubiKey $S1 (simulated) did not accept the PIV management key (AES-192)"
expect_exit 2 enrol_piv $S1 yk-bad --management-key-file "$TMP/k256"
expect_contains "$ERR" "is AES-192 (24 bytes, 48 hex digits); the key given has 32 bytes"
expect_exit 3 enrol_piv $S1 yk-bad --management-key-file "$TMP/nothex"
expect_contains "$ERR" "32, 48 or 64 hex digits"
[[ $(vault_hash) == "$sum" ]] || fail "a refused enrolment changed the vault"
expect_contains "$(sim piv0 status)" "keys=0"
expect_eq "$(state piv0 "['mgmt_key']")" "$DEFAULT_KEY"

# Guided replacement of the factory credentials, then enrolment.
expect_exit 0 kw slot add piv --serial $S1 --label yk --pin-file "$PINFILE" \
  --new-pin-file "$TMP/newpin" --new-puk-file "$TMP/newpuk" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "still uses the factory default PIV PIN, PUK, management key; replacing them"
expect_contains "$ERR" "replaced by a random AES-192 key stored on the card, readable only with the PIN"
expect_contains "$ERR" "PIV slot 82"
# The card's key is a new AES-192 key (not 3DES, not the default), stored PIN-protected the way
# libykpiv and YubiKey Manager store it: 5FC109 = 88 { 89 18 key }, 5FFF00 = 80 { 81 01 02 }.
expect_eq "$(state piv0 "['mgmt_alg']")" "10"
expect_eq "$(state piv0 "['mgmt_default']")" "False"
/usr/bin/python3 - "$HWSIM_STATE/piv0.json" <<'PY' || fail "protected AES-192 key not stored as YubiKey tools do"
import json, sys
s = json.load(open(sys.argv[1]))
key = bytes.fromhex(s["mgmt_key"])
assert len(key) == 24 and key != bytes(range(1, 9)) * 3, s["mgmt_key"]
assert bytes.fromhex(s["objects"]["5fc109"]) == bytes([0x88, 0x1A, 0x89, 0x18]) + key
admin = bytes.fromhex(s["objects"]["5fff00"])
assert admin[0] == 0x80 and admin[1] == len(admin) - 2, admin.hex()
i = admin.index(bytes([0x81, 0x01]))
assert admin[i + 2] & 0x02, admin.hex()
PY
# yubico-piv-tool 2.2 (3DES only) is refused by this card, with the old key as with any other.
yubico-piv-tool -r "Virtual PCD 00 00" -k$DEFAULT_KEY -a set-chuid >/dev/null 2>&1 &&
  fail "3DES authentication worked on an AES card"

# A second key: the PIN-protected AES-192 key is found and accepted without a key file.
sim piv0 trace-reset >/dev/null
expect_exit 0 kw slot add piv --serial $S1 --label yk-2 --piv-slot 83 --touch never \
  --pin-file "$TMP/newpin" --passphrase-file "$PASSFILE" </dev/null
expect_not_contains "$ERR" "replacing"
expect_contains "$ERR" "PIV slot 83"
expect_contains "$(sim piv0 trace)" "GENERAL-AUTHENTICATE(9B),GENERAL-AUTHENTICATE(9B)"
expect_contains "$(sim piv0 status)" "keys=2"

# doctor reports the card's firmware and management-key algorithm.
kw doctor --json >"$TMP/doc.json" 2>/dev/null || true
/usr/bin/python3 - "$TMP/doc.json" <<'PY' || fail "doctor: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
cards = {r["card"]["serial"]: r["card"] for r in d["readers"] if "card" in r}
c0, c1 = cards[20000001], cards[20000002]
assert c0["firmware"] == "5.7.1" and c0["management_key_algorithm"] == "AES-192", c0
assert c0["management_key_pin_protected"] is True, c0
assert c1["firmware"] == "5.4.3" and c1["management_key_algorithm"] == "3DES", c1
PY

# Unlock with the new PIN.
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$TMP/newpin"
expect_eq "$OUT" "alpha"
ctl piv0 auto-touch off

# ---- Card 1 (5.7 profile) with an AES-256 management key set by another tool: given with
# --management-key-file, the algorithm comes from the card's metadata. Separate vault.
export KEYWARD_VAULT=$TMP/vault-256.db
sim piv1 factory-reset 5.7 >/dev/null
sim piv1 set-mgmt-key "aes256:$(tr -d '\n' <"$TMP/k256")" >/dev/null
expect_contains "$(sim piv1 status)" "mgmt_alg=0c"
init_vault >/dev/null 2>&1
setv dev/api/B "beta" 2>/dev/null
# No key file: neither default nor PIN-protected, so it must be given.
expect_exit 9 enrol_piv $S2 yk256
expect_contains "$ERR" "--management-key-file"
printf '%s\n' "$DEFAULT_KEY" >"$TMP/default"
expect_exit 2 enrol_piv $S2 yk256 --management-key-file "$TMP/default"
expect_contains "$ERR" "is AES-256 (32 bytes, 64 hex digits)"
openssl rand -hex 32 >"$TMP/wrong256"
expect_exit 5 enrol_piv $S2 yk256 --management-key-file "$TMP/wrong256"
expect_contains "$ERR" "did not accept the PIV management key (AES-256)"
expect_exit 0 enrol_piv $S2 yk256 --management-key-file "$TMP/k256" --touch never
expect_contains "$ERR" "PIV slot 82"
expect_eq "$(state piv1 "['mgmt_alg']")" "12"
expect_exit 0 kw get dev/api/B --piv --pin-file "$PINFILE"
expect_eq "$OUT" "beta"

# The next test's reset_piv (factory-reset without a profile) returns both cards to 5.4.3/3DES.
sim piv1 factory-reset >/dev/null
expect_contains "$(sim piv1 status)" "firmware=5.4.3 mgmt_alg=03"
echo "piv_aes: ok"

#!/usr/bin/env bash
# Enrolment on a factory-fresh card replaces the default PIN, PUK and management key (guided;
# non-interactive here through --new-pin-file/--new-puk-file): the management key becomes a
# random PIN-protected one (admin-data flag + printed-information object, the libykpiv/YubiKey
# Manager convention), a second enrolment finds it on its own; the new PIN unlocks; `slot list`
# shows the device and when each slot was last used (kept in the state directory).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
R0="Virtual PCD 00 00"
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
printf '11223344\n' >"$TMP/newpin"
printf '87654321\n' >"$TMP/newpuk"
printf '12345\n' >"$TMP/shortpin"
state() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$HWSIM_STATE/piv0.json'))$1)"; }

# No terminal and no new PIN/PUK files: refused, the card unchanged.
expect_exit 9 kw slot add piv --serial $S1 --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "factory default PIV PIN, PUK, management key"
expect_contains "$ERR" "--new-pin-file"
# A bad new PIN is refused before anything changes.
expect_exit 2 kw slot add piv --serial $S1 --pin-file "$PINFILE" --new-pin-file "$TMP/shortpin" \
  --new-puk-file "$TMP/newpuk" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "6 to 8 characters"
expect_exit 2 kw slot add piv --serial $S1 --pin-file "$PINFILE" --new-pin-file "$TMP/newpin" \
  --new-puk-file "$TMP/newpin" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "differ from the PIN"
expect_eq "$(state "['pin_default']")" "True"
expect_eq "$(state "['puk_default']")" "True"
expect_eq "$(state "['mgmt_default']")" "True"

# Guided replacement from files, then enrolment.
expect_exit 0 kw slot add piv --serial $S1 --label yk --pin-file "$PINFILE" \
  --new-pin-file "$TMP/newpin" --new-puk-file "$TMP/newpuk" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "still uses the factory default PIV PIN, PUK, management key; replacing them"
expect_contains "$ERR" "PIV PIN of YubiKey $S1 (simulated) changed"
expect_contains "$ERR" "PIV PUK of YubiKey $S1 (simulated) changed"
expect_contains "$ERR" "readable only with the PIN"
ENROL_ERR=$ERR
# Which key slot keyward chose is its own business (a free retired slot); the message, the vault
# and the card agree on it.
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
K=$(/usr/bin/python3 -c 'import json,sys; print([s for s in json.loads(sys.argv[1]) if s.get("label") == "yk"][0]["piv_slot"])' "$OUT")
[[ $K =~ ^(8[2-9a-f]|9[0-5])$ ]] || fail "enrolled into $K, not a retired key slot (82-95)"
expect_contains "$ENROL_ERR" "PIV slot $K"
expect_eq "$(state "['pin_default']")" "False"
expect_eq "$(state "['puk_default']")" "False"
expect_eq "$(state "['mgmt_default']")" "False"
# The stored management key is the card's key, in the printed-information object (88 { 89 key })
# and flagged PIN-protected in the admin data (80 { 81 01 02 }).
/usr/bin/python3 - "$HWSIM_STATE/piv0.json" <<'PY' || fail "protected management key not stored as libykpiv does"
import json, sys
s = json.load(open(sys.argv[1]))
printed = bytes.fromhex(s["objects"]["5fc109"])
admin = bytes.fromhex(s["objects"]["5fff00"])
key = bytes.fromhex(s["mgmt_key"])
assert printed[0] == 0x88 and bytes([0x89, 0x18]) + key in printed, printed.hex()
assert admin[0] == 0x80 and bytes([0x81, 0x01]) in admin, admin.hex()
flags = admin[admin.index(bytes([0x81, 0x01])) + 2]
assert flags & 0x02, admin.hex()
PY
# yubico-piv-tool: the factory management key is refused now; the new PIN verifies.
yubico-piv-tool -r "$R0" -k010203040506070801020304050607080102030405060708 -a set-chuid \
  >/dev/null 2>&1 && fail "the factory management key still works"
yubico-piv-tool -r "$R0" -a verify-pin -P 11223344 >/dev/null 2>&1 || fail "the new PIN does not verify"

# A second key on the same card: the PIN-protected management key is found without a key file.
expect_exit 0 kw slot add piv --serial $S1 --label yk-2 --piv-slot 83 --touch never \
  --pin-file "$TMP/newpin" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "PIV slot 83"
expect_not_contains "$ERR" "replacing"

# Unlock with the new PIN; the old one is wrong now.
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$TMP/newpin"
expect_eq "$OUT" "alpha"
expect_exit 5 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "wrong PIV PIN"
expect_exit 0 kw get dev/api/A --piv --pin-file "$TMP/newpin"
ctl piv0 auto-touch off

# slot list: device and last use, from the state directory (the vault file is not written).
sum=$(sha256sum "$KEYWARD_VAULT" | cut -d' ' -f1)
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
/usr/bin/python3 - "$OUT" "$S1" <<'PY' || fail "slot list: $OUT"
import json, sys
slots = json.loads(sys.argv[1])
piv = [s for s in slots if s["type"] == "piv"]
assert len(piv) == 2, slots
first = piv[0]
assert first["serial"] == int(sys.argv[2]) and first["attestation"] == "verified-simulator", first
assert first["last_used"] and first["last_used"].endswith("Z"), first
assert first["device"].startswith("YubiKey " + sys.argv[2]), first
assert piv[1]["last_used"] is None, piv[1]          # enrolled, never used to unlock
pw = [s for s in slots if s["type"] == "passphrase"][0]
assert pw["last_used"], pw                         # this very `slot list` used it
PY
expect_exit 0 kw slot list --passphrase-file "$PASSFILE"
expect_contains "$OUT" "last used 20"
expect_contains "$OUT" "YubiKey $S1 key $K touch=always pin=once attestation=verified-simulator"
[[ $(sha256sum "$KEYWARD_VAULT" | cut -d' ' -f1) == "$sum" ]] || fail "slot list wrote the vault"
ls "$XDG_STATE_HOME"/keyward/slots/*.json >/dev/null 2>&1 || fail "no slot usage file"
[[ $(stat -c %a "$XDG_STATE_HOME"/keyward/slots/*.json) == 600 ]] || fail "usage file not 0600"
echo "piv_defaults: ok"

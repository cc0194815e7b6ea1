#!/usr/bin/env bash
# FIDO2 slot with --uv required on the simulator, end to end: the FIDO2 PIN (set with
# python-fido2's clientPIN setPIN) is needed to enrol and to unlock; missing PIN, wrong PIN (tries
# left), and the credProtect-3 credential is invisible without UV. `slot list` shows the device
# and the last use.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"
unset KEYWARD_FIDO2_PIN

# Set the authenticator's FIDO2 PIN the way a user would with a vendor tool.
PYTHONPATH="$(dirname "$0")/../hwsim" /usr/bin/python3 - "$FST/fido0.sock" <<'PY' || fail "setPIN failed"
import sys
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
ClientPin(ctap).set_pin("4321ab")
conn.close()
PY
printf '4321ab\n' >"$TMP/fpin"
printf 'wrong1\n' >"$TMP/fbad"

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 50
# Enrolment with --uv required needs the FIDO2 PIN; no terminal, no PIN: a clear refusal.
expect_exit 2 kw slot add fido2 --device "$D0" --uv required --passphrase-file "$PASSFILE"
expect_contains "$ERR" "FIDO2 PIN"
expect_exit 0 kw slot add fido2 --device "$D0" --uv required --label fk-uv \
  --fido2-pin-file "$TMP/fpin" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "uv required, credProtect 3"

# Unlock: PIN from a file or KEYWARD_FIDO2_PIN.
expect_exit 0 kw get dev/api/A --fido2 --fido2-pin-file "$TMP/fpin"
expect_eq "$OUT" "alpha"
expect_exit 0 env KEYWARD_FIDO2_PIN=4321ab "$KEYWARD_BIN" get dev/api/A --fido2
expect_eq "$OUT" "alpha"
# No PIN: refused before any touch, naming the FIDO2 PIN (not the PIV PIN).
expect_exit 2 kw get dev/api/A --fido2
expect_contains "$ERR" "FIDO2 PIN"
# Wrong PIN: tries left (8 on a fresh authenticator, one spent).
expect_exit 5 kw get dev/api/A --fido2 --fido2-pin-file "$TMP/fbad"
expect_eq "$(tail -n 1 <<<"$ERR")" "keyward: wrong FIDO2 PIN for FIDO2 key $D0 (simulated): 7 tries left"
# Read back from the authenticator itself (clientPIN getRetries), not only from keyward's words.
retries() {
  PYTHONPATH="$(dirname "$0")/../hwsim" /usr/bin/python3 - "$FST/fido0.sock" <<'PY'
import sys
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
print(ClientPin(ctap).get_pin_retries()[0])
conn.close()
PY
}
expect_eq "$(retries)" 7
expect_exit 0 kw get dev/api/A --fido2 --fido2-pin-file "$TMP/fpin"
expect_eq "$OUT" "alpha"
expect_eq "$(retries)" 8  # a right PIN restores the count

# credProtect 3: without UV the authenticator does not even admit holding the credential.
PYTHONPATH="$(dirname "$0")/../hwsim" /usr/bin/python3 - "$FST/fido0.sock" <<'PY' || fail "credProtect 3 leak"
import hashlib, sys
from fido2.ctap import CtapError
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
try:
    ctap.get_assertion("keyward.vault", hashlib.sha256(b"x").digest(), options={"up": False})
except CtapError as e:
    assert e.code == CtapError.ERR.NO_CREDENTIALS, e
else:
    raise SystemExit("discoverable lookup found a credProtect-3 credential without UV")
conn.close()
PY
ctl fido0 auto-touch off

expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
/usr/bin/python3 - "$OUT" "$D0" <<'PY' || fail "slot list: $OUT"
import json, sys
f = [s for s in json.loads(sys.argv[1]) if s["type"] == "fido2"]
assert len(f) == 1 and f[0]["uv"] == "required" and f[0]["cred_protect"] == 3, f
assert f[0]["device"] == "FIDO2 key " + sys.argv[2] + " (simulated)", f
assert f[0]["last_used"], f
PY

# PIN blocked (retries exhausted): exit 11 with the documented message, nothing touched, the vault
# unchanged; the right PIN no longer helps.
ctl fido0 block-pin
expect_eq "$(retries)" 0
before=$(vault_hash)
expect_exit 11 kw get dev/api/A --fido2 --fido2-pin-file "$TMP/fpin"
expect_eq "$(tail -n 1 <<<"$ERR")" "keyward: the FIDO2 PIN of FIDO2 key $D0 (simulated) is blocked (reset the key)"
expect_eq "$OUT" ""
expect_eq "$(vault_hash)" "$before"
echo "fido_uv: ok"

#!/usr/bin/env bash
# FIDO2 slot on the simulator: enrolment (hmac-secret credential), unlock with a touch, high
# secrets, the right authenticator found silently among two, foreign authenticator, touch
# refused / timed out, authenticator pulled out mid-operation.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
D1="sim:$FST/fido1.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 insert 2>/dev/null || true; ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" status | grep -o 'touch_requests=[0-9]*'; }

fido_set_pin "$FST/fido0.sock"  # UV required (the default) needs a PIN on the key
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
expect_contains "$ERR" "Enrolled FIDO2 key $D0 (simulated)"
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
python3 - "$OUT" <<'PY'
import json, sys
s = [x for x in json.loads(sys.argv[1]) if x["type"] == "fido2"]
assert len(s) == 1 and s[0]["presence"] and s[0]["high_key"] and s[0]["cred_protect"] == 3, s
PY

export KEYWARD_FIDO2_DEVICES="$D0"
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
expect_contains "$ERR" "Touch your FIDO2 key $D0 (simulated) to unlock vault"
expect_exit 0 bash -c "printf hv | setsid -w '$KEYWARD_BIN' set dev/api/H --high --fido2"
expect_exit 0 kw get dev/api/H --fido2
expect_eq "$OUT" "hv"
# The unlock touch does not release the high secret: the presence gate asks again, with the list.
expect_contains "$ERR" "release 1 high secret(s)"
# Unlocked by passphrase, the high secret still needs the key (the gate finds it).
expect_exit 0 kw get dev/api/H --passphrase-file "$PASSFILE"
expect_eq "$OUT" "hv"
expect_contains "$ERR" "keyward: verify (PIN) and touch your FIDO2 key $D0 (simulated) to release 1 high secret(s)"

# Two authenticators: the one that cannot hold the UV credential (no PIN, no fingerprint) is
# passed over silently (no touch request).
before=$(touches fido1)
export KEYWARD_FIDO2_DEVICES="$D1,$D0"
expect_exit 0 kw get dev/api/A --fido2
expect_eq "$OUT" "alpha"
expect_eq "$(touches fido1)" "$before"
# Only a foreign authenticator.
export KEYWARD_FIDO2_DEVICES="$D1"
expect_exit 10 kw get dev/api/A --fido2
expect_contains "$ERR" "no connected FIDO2 key holds a credential of this vault"
export KEYWARD_FIDO2_DEVICES="$D0"
ctl fido0 auto-touch off

# doctor sees the authenticators given in KEYWARD_FIDO2_DEVICES (no touch needed).
KEYWARD_FIDO2_DEVICES="$D0,$D1" kw doctor --json >"$TMP/doc.json" 2>/dev/null || true
python3 - "$TMP/doc.json" "$D0" "$D1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
got = {f["path"]: f["opened"] for f in d["fido2_devices"]}
assert got.get(sys.argv[2]) is True and got.get(sys.argv[3]) is True, got
PY

fbg() { kw get dev/api/A --fido2 >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null & BG=$!; }
fbg
ctl fido0 refuse 20000
bg_wait 12
expect_contains "$ERR" "touch refused"
fbg
ctl fido0 timeout 20000
bg_wait 12
expect_eq "$OUT" ""
fbg
ctl fido0 wait-touch 20000
ctl fido0 remove
bg_wait 10
ctl fido0 insert
wait_ready fido0
echo "fido_unlock: ok"

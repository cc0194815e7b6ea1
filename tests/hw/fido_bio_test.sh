#!/usr/bin/env bash
# The simulator's biometric profile (built-in UV: `ctl fidoN bio on`, `bio-enroll NAME`,
# `finger match|nomatch`, the finger "placed" by touch / auto-touch / timeout), driven first by
# python-fido2 (getPinUvAuthTokenUsingUvWithPermissions: match, no match with the retry counter,
# lock-out, the PIN as the way back), then by keyward: enrolment and a high secret released on a
# fingerprint without any PIN, a non-matching finger refused, and after the lock-out keyward
# falls back to the FIDO2 PIN.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; ctl "$d" bio off; done
trap 'ctl fido0 auto-touch off; ctl fido0 bio off; ctl fido0 finger match; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"

ctl fido0 bio on
expect_exit 1 "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" fido0 bio-enroll right-index
expect_contains "$OUT$ERR" "set a FIDO2 PIN first"
fido_set_pin "$FST/fido0.sock"
unset KEYWARD_FIDO2_PIN
ctl fido0 bio-enroll right-index
ctl fido0 finger match
ctl fido0 auto-touch 30

PYTHONPATH="$(dirname "$0")/../hwsim" /usr/bin/python3 - "$FST/fido0.sock" "$HWSIM_BIN" "$FST/ctl.sock" <<'PY' || fail "python-fido2 bio checks"
import subprocess, sys
from fido2.ctap import CtapError
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
sock, hwsim, ctl_sock = sys.argv[1:4]
def ctl(*a):
    subprocess.run([hwsim, "ctl", "--socket", ctl_sock, "fido0"] + list(a), check=True, stdout=subprocess.DEVNULL)
ctap, conn = open_ctap(sock)
info = ctap.get_info()
assert info.options.get("uv") is True and info.options.get("bioEnroll") is True, info.options
GA = ClientPin.PERMISSION.GET_ASSERTION
cp = ClientPin(ctap)
assert cp.get_uv_retries()[0] == 5
cp.get_uv_token(GA, "keyward.vault")            # match
ctl("finger", "nomatch")
for left in (4, 3, 2, 1):
    try:
        cp.get_uv_token(GA, "keyward.vault")
        raise SystemExit("a non-matching finger gave a token")
    except CtapError as e:
        assert e.code == 0x3F, e  # UV_INVALID
    assert cp.get_uv_retries()[0] == left, cp.get_uv_retries()
try:
    cp.get_uv_token(GA, "keyward.vault")          # fifth miss: locked out
    raise SystemExit("no lock-out")
except CtapError as e:
    assert e.code == 0x3C, e  # UV_BLOCKED
ctl("finger", "match")
try:
    cp.get_uv_token(GA, "keyward.vault")          # even a matching finger, now
    raise SystemExit("locked-out UV still gave a token")
except CtapError as e:
    assert e.code == 0x3C, e  # UV_BLOCKED
cp.get_pin_token("4321ab", GA, "keyward.vault")   # the way back: the PIN resets the counter
assert cp.get_uv_retries()[0] == 5
cp.get_uv_token(GA, "keyward.vault")
conn.close()
PY

# keyward on the bio key: no PIN anywhere, the finger does it.
init_vault >/dev/null 2>&1
expect_exit 0 kw slot add fido2 --device "$D0" --label bio --passphrase-file "$PASSFILE"
expect_contains "$ERR" "Verify your fingerprint on"
expect_contains "$ERR" "uv required, credProtect 3"
expect_exit 0 bash -c "printf 'v-bio' | setsid -w '$KEYWARD_BIN' set dev/api/H --high --passphrase-file '$PASSFILE'"
expect_exit 0 kw get dev/api/H --passphrase-file "$PASSFILE"
expect_eq "$OUT" "v-bio"
expect_contains "$ERR" "verify your fingerprint on FIDO2 key $D0"
expect_exit 0 kw get dev/api/H --fido2
expect_eq "$OUT" "v-bio"
# Not the enrolled finger: refused, nothing released.
ctl fido0 finger nomatch
expect_exit 5 kw get dev/api/H --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
expect_contains "$ERR" "fingerprint not recognised"
# Lock-out (5 misses in all): keyward says so and falls back to the FIDO2 PIN.
for _ in 1 2 3; do expect_exit 5 kw get dev/api/H --passphrase-file "$PASSFILE"; done
expect_exit 2 kw get dev/api/H --passphrase-file "$PASSFILE"
expect_contains "$ERR" "locked out"
expect_contains "$ERR" "FIDO2 PIN"
expect_exit 0 kw get dev/api/H --passphrase-file "$PASSFILE" --fido2-pin-file "$FPIN"
expect_eq "$OUT" "v-bio"
expect_contains "$ERR" "locked out"
# The PIN reset the counter: the finger works again.
ctl fido0 finger match
expect_exit 0 kw get dev/api/H --passphrase-file "$PASSFILE"
expect_eq "$OUT" "v-bio"
ctl fido0 auto-touch off
echo "fido_bio: ok"

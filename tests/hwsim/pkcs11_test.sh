#!/usr/bin/env bash
# pkcs11-tool (OpenSC) with PKCS#11 module $1 (opensc: OpenSC's opensc-pkcs11.so; ykcs11:
# Yubico's libykcs11) against virtual card 0 as firmware profile $2: the token with its serial,
# login with the PIN, ECDSA P-256 signatures verified with OpenSSL, ECDH derivation compared with
# OpenSSL's, certificates written by ykman read back (pkcs15-tool --dump with OpenSC).
source "$(dirname "$0")/lib.sh"
MODULE=${1:?module opensc or ykcs11}
PROFILE=${2:?profile 5.4 or 5.7}
export PYTHONWARNINGS=ignore
R="Virtual PCD 00 00"
LIBDIR=/usr/lib/x86_64-linux-gnu
case $MODULE in
  opensc)
    SO=$LIBDIR/opensc-pkcs11.so
    SLOT_DESC="$R"
    run() { "$@"; }
    ;;
  ykcs11)
    SO=$LIBDIR/libykcs11.so
    # libykcs11 only lists readers named "Yubico..."; the shim renames vpcd's readers for it
    # (see pcsc_yubico_name_shim.cpp).
    : "${HWSIM_PCSC_SHIM:?}"
    SLOT_DESC="Yubico $R"
    run() { LD_PRELOAD=$HWSIM_PCSC_SHIM "$@"; }
    ;;
  *) fail "unknown module $MODULE" ;;
esac
[ -f "$SO" ] || fail "$SO missing (Debian: opensc-pkcs11 / ykcs11; scripts/install-deps.sh)"
command -v pkcs11-tool >/dev/null || fail "pkcs11-tool missing (Debian: opensc)"
p11() { run pkcs11-tool --module "$SO" --slot-description "$SLOT_DESC" "$@"; }
DEFKEY=010203040506070801020304050607080102030405060708
# ykman through pcscd. "Card was reset" is pcscd resetting the card between the previous ykman
# process's disconnect (SCARD_RESET_CARD) and this one's first status call, a race between two
# third-party programs (seen once under a loaded ASan run): retried, up to three times.
yk() {
  local try rc err=$TMP_YK_ERR
  for try in 1 2 3; do
    rc=0
    ykman --reader "$R" "$@" 2>"$err" || rc=$?
    [[ $rc != 0 ]] && grep -q "Card was reset" "$err" && { sleep 0.5; continue; }
    cat "$err" >&2
    return $rc
  done
  cat "$err" >&2
  return $rc
}
TMP_YK_ERR=$WORK/ykman.err

ctl piv0 factory-reset "$PROFILE" >/dev/null
ctl piv0 auto-touch off >/dev/null
# Keys and certificates made by Yubico's manager: 9a (sign) and 9d (key management, ECDH).
for s in 9a 9d; do
  expect_ok "gen$s.txt" yk piv keys generate -m "$DEFKEY" -a ECCP256 --pin-policy ONCE --touch-policy NEVER "$s" "pub$s.pem"
  expect_ok "cert$s.txt" yk piv certificates generate -m "$DEFKEY" -P 123456 -s "CN=pkcs11 $s" -d 30 "$s" "pub$s.pem"
  expect_ok "cert$s.pem" yk piv certificates export "$s" -
done

# --- the token
expect_ok all.txt run pkcs11-tool --module "$SO" -L
# the slot of card 0 only (card 1 is listed too)
awk -v d="$SLOT_DESC" '/^Slot /{on = index($0, d) > 0} on' all.txt >list.txt
[ -s list.txt ] || { cat all.txt >&2; fail "$MODULE lists no slot for $SLOT_DESC"; }
if [ "$MODULE" = ykcs11 ]; then
  # Yubico's module names the token after the YubiKey and reports its serial and firmware.
  expect_grep list.txt "token label        : YubiKey PIV #20000001"
  expect_grep list.txt "serial num         : 20000001"
  fw=$([ "$PROFILE" = 5.4 ] && echo 5.43 || echo 5.71)  # libykcs11: minor = 10 * minor + patch
  expect_grep list.txt "firmware version   : $fw"
  expect_grep list.txt "token model        : YubiKey YK5"
else
  # OpenSC's PIV driver takes the token serial from the CHUID (ykman wrote one with the
  # certificates), as it does with a real YubiKey; not the YubiKey serial.
  expect_grep list.txt "token manufacturer : piv_II"
  grep -q "serial num         : 00000000" list.txt && { cat list.txt >&2; fail "OpenSC token without serial"; }
fi

# --- login, objects
expect_ok objs.txt p11 --login --pin 123456 -O
expect_grep objs.txt "Private Key Object; EC"
expect_grep objs.txt "Certificate Object"
expect_fail badpin.txt "CKR_PIN_INCORRECT" p11 --login --pin 000000 -O
ctl piv0 status | grep -q "pin_retries=2" || fail "wrong PIN did not cost an attempt: $(ctl piv0 status)"
expect_ok objs2.txt p11 --login --pin 123456 -O  # resets the counter

# --- ECDSA P-256 with the 9a key (object id 01), verified with OpenSSL against the public key
head -c 1000 /dev/urandom >data.bin
expect_ok sign.txt p11 --login --pin 123456 --sign --id 01 -m ECDSA-SHA256 --signature-format openssl \
  --input-file data.bin --output-file sig.der
openssl dgst -sha256 -verify pub9a.pem -signature sig.der data.bin >verify.txt 2>&1 \
  || { cat verify.txt >&2; fail "OpenSSL does not verify the card's ECDSA signature"; }
# without the PIN the card refuses (PIN policy once)
if p11 --sign --id 01 -m ECDSA-SHA256 --input-file data.bin --output-file nosig.der >nopin.txt 2>&1; then
  cat nopin.txt >&2; fail "signed without PIN"
fi

# --- ECDH with the 9d key (object id 03), compared with OpenSSL's derivation
openssl ecparam -name prime256v1 -genkey -noout -out peer.key 2>/dev/null
openssl pkey -in peer.key -pubout -outform DER -out peer.der
expect_ok derive.txt p11 --login --pin 123456 --derive --id 03 -m ECDH1-DERIVE --input-file peer.der \
  --output-file z.bin
openssl pkeyutl -derive -inkey peer.key -peerkey pub9d.pem -out zref.bin
cmp z.bin zref.bin || fail "ECDH result differs from OpenSSL's"

# --- certificates ykman put there, read back through the module
expect_ok c1.der p11 --read-object --type cert --id 01
cmp c1.der <(openssl x509 -in cert9a.pem -outform DER) || fail "certificate 9a read through $MODULE differs"
if [ "$MODULE" = opensc ]; then
  expect_ok dump.txt pkcs15-tool --reader "$R" --dump
  expect_grep dump.txt "X.509 Certificate [Certificate for PIV Authentication]"
  expect_grep dump.txt "X.509 Certificate [Certificate for Key Management]"
  expect_ok rc.pem pkcs15-tool --reader "$R" --read-certificate 03
  cmp <(openssl x509 -in rc.pem -outform DER) <(openssl x509 -in cert9d.pem -outform DER) \
    || fail "pkcs15-tool certificate 9d differs"
fi
ctl piv0 factory-reset >/dev/null
echo "pkcs11_test ($MODULE, $PROFILE): ok"

#!/usr/bin/env bash
# Touch policy and the control interface on virtual card 0: touch by hand, refuse, time out,
# auto-touch, cached policy, device pulled out mid-operation, misbehaviours.
source "$(dirname "$0")/lib.sh"
R="Virtual PCD 00 00"
ctl piv0 factory-reset >/dev/null
ctl piv0 auto-touch off >/dev/null
ctl piv0 touch-timeout 15000 >/dev/null

expect_ok gen.txt piv "$R" -a generate -s 9c -A ECCP256 --pin-policy=never --touch-policy=always -o pub9c.pem
ca_cert pub9c.pem cert9c.pem "/CN=hwsim 9c/"
expect_ok imp.txt piv "$R" -a import-certificate -s 9c -i cert9c.pem
expect_ok att.pem piv "$R" -a attest -s 9c
[ "$(ext_hex att.pem 1.3.6.1.4.1.41482.3.8)" = "0102" ] || fail "policy extension is not 01 02 (never, always)"

requests() { ctl piv0 status | sed -n 's/.*touch_requests=\([0-9]*\).*/\1/p'; }

# --- touch by hand: the signature waits until `ctl piv0 touch`
n0=$(requests)
piv "$R" -a test-signature -s 9c -i cert9c.pem >sig.txt 2>&1 &
tool=$!
expect_ok t.txt ctl piv0 touch 30000
wait $tool || { cat sig.txt >&2; fail "test-signature failed after touch"; }
expect_grep sig.txt "Successful ECDSA verification."
[ "$(requests)" -gt "$n0" ] || fail "no touch request was recorded"

# --- refused touch: the card answers 69 82, the tool reports a failed signature
piv "$R" -a test-signature -s 9c -i cert9c.pem >ref.txt 2>&1 &
tool=$!
expect_ok r.txt ctl piv0 refuse 30000
if wait $tool; then fail "signature succeeded although the touch was refused"; fi
expect_grep ref.txt "Failed signing test data."

# --- nobody touches: times out with the same status word
expect_ok to.txt ctl piv0 touch-timeout 300
expect_fail tout.txt "Failed ECDH exchange!" piv "$R" -a test-decipher -s 9c -i cert9c.pem
expect_ok to2.txt ctl piv0 touch-timeout 15000

# --- auto-touch (what the quickstart uses)
expect_ok at.txt ctl piv0 auto-touch 50
expect_ok auto.txt piv "$R" -a test-decipher -s 9c -i cert9c.pem
expect_grep auto.txt "Successfully performed ECDH exchange with card."
expect_ok at2.txt ctl piv0 auto-touch off

# --- cached touch policy: one touch covers the following operations (15 s)
expect_ok genc.txt piv "$R" -a generate -s 83 -A ECCP256 --pin-policy=never --touch-policy=cached -o pub83.pem
ca_cert pub83.pem cert83.pem "/CN=hwsim 83/"
expect_ok imp83.txt piv "$R" -a import-certificate -s 83 -i cert83.pem
expect_ok at3.txt ctl piv0 auto-touch 0
n2=$(requests)
expect_ok c1.txt piv "$R" -a test-signature -s 83 -i cert83.pem
expect_ok c2.txt piv "$R" -a test-decipher -s 83 -i cert83.pem
[ "$(requests)" = "$((n2 + 1))" ] || fail "cached touch policy asked for more than one touch"
expect_ok at4.txt ctl piv0 auto-touch off

# --- no touch needed when the PIN check fails first (fail fast, no prompt)
expect_ok gen2.txt piv "$R" -a generate -s 82 -A ECCP256 --pin-policy=always --touch-policy=always -o pub82.pem
ca_cert pub82.pem cert82.pem "/CN=hwsim 82/"
expect_ok imp82.txt piv "$R" -a import-certificate -s 82 -i cert82.pem
n1=$(requests)
expect_fail nopin.txt "Failed signing test data." piv "$R" -a test-signature -s 82 -i cert82.pem
[ "$(requests)" = "$n1" ] || fail "a touch was requested although the PIN was missing"

# --- card pulled out while waiting for a touch
piv "$R" -a test-signature -s 9c -i cert9c.pem >rm.txt 2>&1 &
tool=$!
expect_ok wt.txt ctl piv0 wait-touch 30000
expect_ok rmv.txt ctl piv0 remove
if wait $tool; then fail "signature succeeded although the card was removed"; fi
expect_fail gone.txt "" piv "$R" -a status
expect_ok ins.txt ctl piv0 insert
wait_ready piv0
for _ in $(seq 1 100); do piv "$R" -a status >back.txt 2>&1 && break; sleep 0.1; done
expect_grep back.txt "Serial Number:	20000001"

# --- misbehaviours
# A wrong status word or a truncated reply already breaks the tool's connect (SELECT): it says
# so and no PIN is sent (the retry counter is unchanged); slow answers still work.
retries() { ctl piv0 status | sed -n 's/.* pin_retries=\([0-9]*\).*/\1/p'; }
r0=$(retries)
expect_ok m1.txt ctl piv0 misbehave wrong-sw
expect_fail ws.txt "Failed to connect to yubikey." piv "$R" -a verify-pin -P 123456
expect_ok m2.txt ctl piv0 misbehave truncate
expect_fail tr.txt "Failed to connect to yubikey." piv "$R" -a verify-pin -P 123456
[ "$(retries)" = "$r0" ] || fail "a PIN try was spent through a misbehaving card"
expect_ok m3.txt ctl piv0 misbehave slow:200
expect_ok sl.txt piv "$R" -a verify-pin -P 123456
expect_grep sl.txt "Successfully verified PIN."
expect_ok m4.txt ctl piv0 misbehave off
expect_ok ok.txt piv "$R" -a verify-pin -P 123456
expect_grep ok.txt "Successfully verified PIN."
echo "piv_touch_test: ok"

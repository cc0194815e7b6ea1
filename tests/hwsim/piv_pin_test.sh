#!/usr/bin/env bash
# PIN/PUK blocking, unblocking, SET PIN RETRIES and RESET on virtual card 1, checked with
# yubico-piv-tool's own messages. Also checks that the two cards are distinct.
source "$(dirname "$0")/lib.sh"
R="Virtual PCD 00 01"
ctl piv1 factory-reset >/dev/null

expect_ok st.txt piv "$R" -a status
expect_grep st.txt "Serial Number:	20000002"
expect_ok st0.txt piv "Virtual PCD 00 00" -a status
expect_grep st0.txt "Serial Number:	20000001"

# key + certificate that RESET must wipe
expect_ok gen.txt piv "$R" -a generate -s 9e -A ECCP256 -o pub9e.pem
ca_cert pub9e.pem cert9e.pem "/CN=hwsim 9e/"
expect_ok imp.txt piv "$R" -a import-certificate -s 9e -i cert9e.pem
# 9e defaults to PIN policy never: test-signature works without VERIFY
expect_ok sig.txt piv "$R" -a test-signature -s 9e -i cert9e.pem

# --- block the PIN with wrong attempts
expect_fail w1.txt "Pin verification failed, 2 tries left before pin is blocked." piv "$R" -a verify-pin -P 000000
expect_fail w2.txt "Pin verification failed, 1 tries left before pin is blocked." piv "$R" -a verify-pin -P 000000
expect_fail w3.txt "Pin code blocked, use unblock-pin action to unblock." piv "$R" -a verify-pin -P 000000
# even the right PIN is refused now (69 83)
expect_fail w4.txt "Pin code blocked, use unblock-pin action to unblock." piv "$R" -a verify-pin -P 123456
expect_fail chg.txt "The pin code is blocked, use the unblock-pin action to unblock it." piv "$R" -a change-pin -P 123456 -N 654321
expect_ok st2.txt piv "$R" -a status
expect_grep st2.txt "PIN tries left:	0"

expect_ok unb.txt piv "$R" -a unblock-pin -P 12345678 -N 123456
expect_ok v.txt piv "$R" -a verify-pin -P 123456

# --- block through the control interface
expect_ok blk.txt ctl piv1 block-pin
expect_fail w5.txt "Pin code blocked, use unblock-pin action to unblock." piv "$R" -a verify-pin -P 123456
expect_ok unb2.txt piv "$R" -a unblock-pin -P 12345678 -N 123456

# --- SET PIN RETRIES (needs management key + PIN): resets PIN/PUK to defaults with new counters
expect_ok pr.txt piv "$R" -a verify-pin -P 123456 -a pin-retries --pin-retries=5 --puk-retries=4
expect_ok st3.txt piv "$R" -a status
expect_grep st3.txt "PIN tries left:	5"
expect_ok pr2.txt piv "$R" -a verify-pin -P 123456 -a pin-retries --pin-retries=3 --puk-retries=3

# --- RESET only works with PIN and PUK both blocked
expect_fail r0.txt "Reset failed" piv "$R" -a reset
expect_ok blk2.txt ctl piv1 block-pin
expect_fail p1.txt "Failed verifying puk code, now 2 tries left before blocked." piv "$R" -a unblock-pin -P 00000000 -N 123456
expect_fail p2.txt "Failed verifying puk code, now 1 tries left before blocked." piv "$R" -a unblock-pin -P 00000000 -N 123456
expect_fail p3.txt "Failed verifying puk code, now 0 tries left before blocked." piv "$R" -a unblock-pin -P 00000000 -N 123456
expect_fail p4.txt "The puk code is blocked, you will have to reinitialize the application." piv "$R" -a unblock-pin -P 12345678 -N 123456
expect_ok reset.txt piv "$R" -a reset
expect_grep reset.txt "Successfully reset the application."
expect_ok st4.txt piv "$R" -a status
expect_grep st4.txt "PIN tries left:	3"
if grep -q "Slot 9e:" st4.txt; then fail "certificate survived RESET"; fi
expect_ok v2.txt piv "$R" -a verify-pin -P 123456
# attestation key survives RESET
expect_ok f9.pem piv "$R" -a read-certificate -s f9
echo "piv_pin_test: ok"

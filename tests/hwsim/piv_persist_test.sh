#!/usr/bin/env bash
# The virtual PIV card survives a simulator restart: keys, certificates, PIN counters and the
# changed PIN come back from the state file. Restarts the fixture's simulator in place (the new
# process is recorded in the fixture's pid file, so the fixture's cleanup stops it).
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
R="Virtual PCD 00 01"
ctl piv1 factory-reset >/dev/null

expect_ok gen.txt piv "$R" -a generate -s 9d -A ECCP256 --pin-policy=once -o pub.pem
ca_cert pub.pem cert.pem "/CN=hwsim persist/"
expect_ok imp.txt piv "$R" -a import-certificate -s 9d -i cert.pem
expect_ok chg.txt piv "$R" -a change-pin -P 123456 -N 24682468
expect_fail w.txt "Pin verification failed, 2 tries left" piv "$R" -a verify-pin -P 000000

old=$(cat "$HWSIM_STATE/hwsim.pid")
expect_ok quit.txt ctl quit
for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
kill -0 "$old" 2>/dev/null && fail "simulator did not quit"

setsid "$HWSIM_BIN" serve --state-dir "$HWSIM_STATE" --piv 0 --piv 1 --lock-wait 170 \
  </dev/null >>"$HWSIM_STATE/hwsim.log" 2>&1 &
echo $! >"$HWSIM_STATE/hwsim.pid"
for _ in $(seq 1 600); do ctl all ready >/dev/null 2>&1 && break; sleep 0.1; done
ctl all ready >/dev/null || fail "restarted simulator not ready"
for _ in $(seq 1 100); do piv "$R" -a status >st.txt 2>&1 && break; sleep 0.1; done

expect_grep st.txt "Serial Number:	20000002"
expect_grep st.txt "Slot 9d:"
expect_grep st.txt "PIN tries left:	2"
expect_ok sig.txt piv "$R" -a verify-pin -P 24682468 -a test-signature -s 9d -i cert.pem
expect_grep sig.txt "Successful ECDSA verification."
expect_ok back.txt piv "$R" -a change-pin -P 24682468 -N 123456
echo "piv_persist_test: ok"

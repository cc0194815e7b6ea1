#!/usr/bin/env bash
# Regression guard for the APDUs a PIV unlock sends (bench/hw_unlock_bench.sh measures the same):
# libykpiv's connect (SELECT, its own empty VERIFY, GET VERSION, GET SERIAL), then GET METADATA
# of the key and of the PIN (retry counter), VERIFY, one GENERAL AUTHENTICATE. With two cards
# plugged in and the wanted one first, the second is never talked to.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trace() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$1" trace | sed -n 's/.* commands=//p'; }
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 enrol_piv $S1 yk
ctl piv0 auto-touch 20
ctl piv0 trace-reset
ctl piv1 trace-reset
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
expect_eq "$(trace piv0)" "SELECT,VERIFY?(80),GET-VERSION,GET-SERIAL,GET-METADATA(82),GET-METADATA(80),VERIFY(80),GENERAL-AUTHENTICATE(82)"
expect_eq "$(trace piv1)" ""
ctl piv0 auto-touch off
echo "piv_trace: ok"

#!/usr/bin/env bash
# What a PIV unlock sends, as keyward's own protocol properties (not libykpiv's internal order,
# e.g. its own empty VERIFY at connect): the PIN retry counter is read (GET METADATA of the PIN)
# before the PIN is sent; the PIN is sent once; exactly one GENERAL AUTHENTICATE, with the key
# slot the vault records; one touch per release; nothing that writes to the card (GENERATE,
# PUT DATA, CHANGE/RESET of PIN or PUK, IMPORT, SET-MGMT-KEY, RESET). With two cards plugged
# in and the wanted one first, the second is never talked to.
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
touches() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" piv0 status | sed -n 's/.*touch_requests=\([0-9]*\).*/\1/p'; }
t0=$(touches)
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
tr0=$(trace piv0)
echo "piv0 trace: $tr0"
expect_eq "$(trace piv1)" ""
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
K=$(/usr/bin/python3 -c 'import json,sys; print([s for s in json.loads(sys.argv[1]) if s["type"] == "piv"][0]["piv_slot"].upper())' "$OUT")
/usr/bin/python3 - "$tr0" "$K" "$t0" "$(touches)" <<'PY' || fail "PIV unlock protocol (trace above)"
import sys
cmds, key, t0, t1 = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def idx(c): return cmds.index(c) if c in cmds else None
assert cmds.count("VERIFY(80)") == 1, "the PIN is sent exactly once"
assert idx("GET-METADATA(80)") is not None and idx("GET-METADATA(80)") < idx("VERIFY(80)"), \
    "the PIN retry counter is read before the PIN is sent"
auth = [c for c in cmds if c.startswith("GENERAL-AUTHENTICATE(")]
assert auth == ["GENERAL-AUTHENTICATE(%s)" % key], "one GENERAL AUTHENTICATE with key %s: %s" % (key, auth)
assert idx("VERIFY(80)") < idx(auth[0]), "the PIN is verified before the key is used"
writes = [c for c in cmds if c.split("(")[0] in ("GENERATE", "PUT-DATA", "CHANGE-REFERENCE", "RESET-RETRY",
                                                 "IMPORT", "SET-MGMT-KEY", "RESET", "SET-PIN-RETRIES")]
assert not writes, "an unlock wrote to the card: %s" % writes
assert t1 == t0 + 1, "one touch per release (touch requests %d -> %d)" % (t0, t1)
PY
ctl piv0 auto-touch off
echo "piv_trace: ok"

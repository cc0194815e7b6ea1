#!/usr/bin/env bash
# Regression tests of issue 15's defects (the side effects around a vault transaction), each
# reproduced the way it was found. Faults are injected with tests/fault/faultshim.c
# ($KEYWARD_FAULT_SHIM); the tests run as root in CI, so "unreadable" and "read-only" are made
# with the shim or with file types, not with permission bits root would ignore.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
. "$KEYWARD_SOURCE_DIR/tests/cli/lib.sh"
: "${KEYWARD_FAULT_SHIM:?KEYWARD_FAULT_SHIM must point to the fault shim}"
export KEYWARD_PASSPHRASE="correct horse battery"

# shim MODE MATCH AT CMD...: runs keyward with the AT-th write-class call on a file whose name
# contains MATCH faulted with MODE (kill, eio, enospc, torn).
shim() {
  local mode=$1 match=$2 at=$3
  shift 3
  LD_PRELOAD=$KEYWARD_FAULT_SHIM KW_FAULT_MODE=$mode KW_FAULT_MATCH=$match KW_FAULT_AT=$at \
    "$KEYWARD_BIN" "$@"
}
pin_name() { printf '%s' "$KEYWARD_VAULT" | sha256sum | cut -c1-32; }
PINS=$XDG_STATE_HOME/keyward/pins

# --- 1. A failed re-key leaves the vault and the audit log under the key it still has --------
init_vault >/dev/null 2>&1
for ((i = 0; i < 2000; i++)); do printf 'KEY_%d=value-%d\n' "$i" "$i"; done >"$TMP/big.env"
expect_exit 0 kw import --env dev --component api "$TMP/big.env"
rev=$(kw vault info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
# The re-key writes every record again: the file size limit stops it at commit.
expect_exit 16 bash -c "ulimit -f 300; exec '$KEYWARD_BIN' rotate-master"
expect_contains "$ERR" "nothing was changed"
expect_exit 0 kw get dev/api/KEY_1999
expect_eq "$OUT" "value-1999"
expect_exit 0 kw vault info --json
expect_contains "$OUT" "\"revision\": $rev"
expect_exit 0 kw audit --verify
expect_exit 0 kw audit --json
expect_contains "$OUT" "rotate-master"  # the failure is recorded, under the current key
printf 'after' | kw set dev/api/AFTER
expect_exit 0 kw get dev/api/AFTER
# And the re-key works once there is room; the failure entry verifies across the rotation.
expect_exit 0 kw rotate-master
expect_exit 0 kw get dev/api/KEY_7
expect_eq "$OUT" "value-7"
expect_exit 0 kw audit --verify
# slot rm --rekey: same path.
new_identity
expect_exit 0 kw slot add recipient --label ci --recipient "$RECIPIENT"
slot=$(kw slot list --json | python3 -c 'import json,sys; print(max(s["slot"] for s in json.load(sys.stdin)))')
expect_exit 16 bash -c "ulimit -f 300; exec '$KEYWARD_BIN' slot rm $slot --rekey"
expect_exit 0 kw slot list --json
expect_contains "$OUT" '"ci"'
expect_exit 0 kw get dev/api/KEY_3
expect_exit 0 kw audit --verify
echo "defect 1 (failed re-key): ok"

# --- 3. A pin failure after the commit: exit 19, the change is there, the next command repairs -
rm -rf "$TMP/state" "$TMP/data" "$KEYWARD_VAULT"*
init_vault >/dev/null 2>&1
pin=$(pin_name)
[[ -f $PINS/$pin ]] || fail "no pin at $PINS/$pin"
for mode in eio enospc; do
  printf "v-$mode" >"$TMP/value"
  before=$(grep revision "$PINS/$pin")
  expect_exit 19 shim "$mode" "$pin" 1 set dev/app/K <"$TMP/value"
  expect_contains "$ERR" "committed"
  expect_contains "$ERR" "pin"
  [[ $(grep revision "$PINS/$pin") == "$before" ]] || fail "the pin moved although its write failed"
  expect_exit 0 kw get dev/app/K  # the change is there, and this read raises the pin again
  expect_eq "$OUT" "v-$mode"
  [[ $(grep revision "$PINS/$pin") != "$before" ]] || fail "the pin was not raised by the next command ($before)"
done
expect_exit 0 kw audit --verify
expect_exit 0 kw audit --json
expect_contains "$OUT" "pin could not be raised"
# rm and rotate-master report the same way.
expect_exit 19 shim eio "$pin" 1 rm dev/app/K
expect_exit 6 kw get dev/app/K  # (raises the pin)
expect_exit 19 shim eio "$pin" 1 rotate-master
expect_exit 0 kw vault info
# An audit entry that cannot be written after a change is "applied, follow-up failed" too.
printf 'x' >"$TMP/value"
expect_exit 19 shim eio ".log" 4 set dev/app/L <"$TMP/value"  # 1-3: the unlock entry
expect_contains "$ERR" "was done but could not be recorded"
expect_exit 0 kw get dev/app/L
echo "defect 3 (pin after commit): ok"

# --- 7. An unreadable pin fails closed (exit 8), distinct from "no pin yet" ------------------
rm -rf "$TMP/state" "$TMP/data" "$KEYWARD_VAULT"*
init_vault >/dev/null 2>&1
pin=$(pin_name)
printf 'a' | kw set dev/app/A
cp "$KEYWARD_VAULT" "$TMP/rev2.db"
printf 'b' | kw set dev/app/B
printf 'c' | kw set dev/app/C
# Roll the vault back to revision 2 and make the pin unreadable (a directory cannot be read).
cp "$TMP/rev2.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
mv "$PINS/$pin" "$TMP/pin.saved"
mkdir "$PINS/$pin"
expect_exit 8 kw get dev/app/A
expect_contains "$ERR" "pin"
expect_contains "$ERR" "vault forget"
expect_exit 8 kw vault info
rmdir "$PINS/$pin"
mv "$TMP/pin.saved" "$PINS/$pin"
expect_exit 8 kw get dev/app/A  # the pin still says revision 4: rollback detected
expect_contains "$ERR" "rollback"
grep -q "revision 4" "$PINS/$pin" || fail "the pin was lowered: $(cat "$PINS/$pin")"
# No pin at all is trust on first use (documented), not an error.
expect_exit 0 kw vault forget
expect_exit 0 kw get dev/app/A
echo "defect 7 (unreadable pin): ok"

# --- 5. Audit heads are replaced whole: a fault at any step leaves the old head or the new one --
# Found as: an empty head after ENOSPC or a kill while a new log was created, after which every
# command exited 8 ("head damaged") even once there was room again. Every write-class call of
# `audit --new-log` (vault, pin, kept copies, heads, log removal) and every head and log write of
# `set` are faulted in turn, in every mode (torn:
# half of a write reaches the file, then the process dies); after each, a read and a change work,
# the log verifies, and `audit --new-log` run again completes.
rm -rf "$TMP/state" "$TMP/data" "$KEYWARD_VAULT"*
init_vault >/dev/null 2>&1
printf 'five' | kw set dev/app/FIVE
expect_exit 0 kw rotate-master  # the old log holds entries under an earlier master too
printf 'six' | kw set dev/app/SIX
rm -rf "$TMP/d5" && mkdir "$TMP/d5" && cp -a "$TMP/state" "$KEYWARD_VAULT"* "$TMP/d5/"
restore5() {
  rm -rf "$TMP/state" "$KEYWARD_VAULT"*
  cp -a "$TMP/d5/state" "$TMP/state"
  cp -a "$TMP/d5/"vault.db* "$TMP/"
}
heads() { ls "$XDG_STATE_HOME/keyward/audit/"*.head 2>/dev/null; }
trials=0
for cmd in "audit --new-log" "set dev/app/FIVE"; do
  # `set`'s vault writes are in the fault sweep; `audit --new-log` is faulted at every one of its
  # write-class calls (the vault's anchor reset, the pin, the kept copies, the heads, the log).
  matches=(.head .log)
  [[ $cmd == audit* ]] && matches=("")
  for match in "${matches[@]}"; do
    restore5
    rm -f "$TMP/count.log"
    printf 'v' | LD_PRELOAD=$KEYWARD_FAULT_SHIM KW_FAULT_MATCH=$match KW_FAULT_LOG=$TMP/count.log \
      "$KEYWARD_BIN" $cmd >/dev/null 2>&1 || fail "$cmd: the count run failed"
    points=$(wc -l <"$TMP/count.log")
    [[ $points -gt 0 ]] || fail "$cmd: no write-class call on a ${match:-any} file"
    for mode in kill eio enospc torn; do
      for ((at = 1; at <= points; at++)); do
        restore5
        where="$cmd, $mode at ${match:-write-class} call $at/$points ($(sed -n "${at}p" "$TMP/count.log"))"
        printf 'v' | shim "$mode" "$match" "$at" $cmd >/dev/null 2>"$TMP/fault.err" || true
        for h in $(heads); do
          [[ -s $h ]] || fail "$where: left an empty head $h"
        done
        got=0
        kw get dev/app/SIX >"$TMP/.out" 2>"$TMP/.err" || got=$?
        [[ $got == 0 ]] || fail "$where: the next get exits $got: $(cat "$TMP/.err") | the command said: $(cat "$TMP/fault.err")"
        got=0
        printf 'next' | kw set dev/app/NEXT 2>"$TMP/.err" || got=$?
        [[ $got == 0 ]] || fail "$where: the next set exits $got: $(cat "$TMP/.err")"
        got=0
        kw audit --verify >/dev/null 2>"$TMP/.err" || got=$?
        [[ $got == 0 ]] || fail "$where: audit --verify exits $got: $(cat "$TMP/.err")"
        if [[ $cmd == audit* ]]; then
          got=0
          kw audit --new-log >/dev/null 2>"$TMP/.err" || got=$?
          [[ $got == 0 ]] || fail "$where: audit --new-log again exits $got: $(cat "$TMP/.err")"
          expect_exit 0 kw audit --verify
        fi
        trials=$((trials + 1))
      done
    done
  done
done
# The evidence of every restart is kept, none replaced by a later one in the same second.
restore5
expect_exit 0 kw audit --new-log
expect_exit 0 kw audit --new-log
[[ $(ls "$XDG_STATE_HOME/keyward/audit/"*.log.*.old | wc -l) == 2 ]] ||
  fail "two restarts should keep two old logs: $(ls "$XDG_STATE_HOME/keyward/audit/")"
expect_exit 0 kw get dev/app/SIX
expect_exit 0 kw audit --verify
echo "defect 5 (audit head written atomically, $trials faults): ok"

# --- 4. An interrupted init leaves nothing that blocks the next one --------------------------
rm -rf "$TMP/state" "$TMP/data" "$KEYWARD_VAULT"*
got=0
shim kill "vault.db" 6 init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null \
  >/dev/null 2>&1 || got=$?
[[ $got == 137 ]] || fail "init was not killed (exit $got)"
[[ ! -e $KEYWARD_VAULT ]] || fail "a killed init left $KEYWARD_VAULT"
ls "$KEYWARD_VAULT".init-* >/dev/null 2>&1 || fail "expected the killed init's temporary file"
expect_exit 6 kw vault info
expect_contains "$ERR" "keyward init"
kw doctor --json >"$TMP/doctor.json" 2>/dev/null || true
grep -q "init_leftovers" "$TMP/doctor.json" || fail "doctor does not name the leftover: $(cat "$TMP/doctor.json")"
expect_exit 0 init_vault
if ls "$KEYWARD_VAULT".init-* >/dev/null 2>&1; then fail "init did not remove the leftover"; fi
expect_exit 0 kw vault info
echo "defect 4 (interrupted init): ok"

# --- 6. -wal/-shm follow the vault file's mode ------------------------------------------------
chmod 0400 "$KEYWARD_VAULT"
# Another connection keeps the side files alive while the vault is read-only: SQLite creates
# them with the vault's mode then.
/usr/bin/python3 - "$KEYWARD_VAULT" "$TMP/holder" <<'PY' &
import sqlite3, sys, os, time
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT count(*) FROM header").fetchall()
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
PY
holder=$!
while [[ ! -e $TMP/holder ]]; do kill -0 "$holder" 2>/dev/null || fail "holder died"; sleep 0.05; done
[[ $(stat -c %a "$KEYWARD_VAULT-wal") == 400 ]] || fail "setup: -wal is $(stat -c %a "$KEYWARD_VAULT-wal")"
chmod 0600 "$KEYWARD_VAULT"
printf 'w' | kw set dev/app/W
for side in wal shm; do
  [[ $(stat -c %a "$KEYWARD_VAULT-$side") == 600 ]] || fail "-$side is $(stat -c %a "$KEYWARD_VAULT-$side") after a write"
done
rm -f "$TMP/holder"
wait "$holder"
echo "defect 6 (side-file modes): ok"

# --- 9. A clock before 1970 -------------------------------------------------------------------
export KW_FAULT_TIME=-86400
printf 'old clock' | LD_PRELOAD=$KEYWARD_FAULT_SHIM "$KEYWARD_BIN" set dev/app/CLOCK \
  || fail "set with the clock before 1970"
expect_exit 0 env LD_PRELOAD="$KEYWARD_FAULT_SHIM" "$KEYWARD_BIN" get dev/app/CLOCK
expect_eq "$OUT" "old clock"
expect_exit 0 env LD_PRELOAD="$KEYWARD_FAULT_SHIM" "$KEYWARD_BIN" audit --verify
unset KW_FAULT_TIME
expect_exit 0 kw audit --verify
echo "defect 9 (clock before 1970): ok"

# --- 9. Read-only commands on a full disk do not claim a rollback -----------------------------
expect_exit 16 shim enospc "vault.db-" 1 get dev/app/CLOCK
expect_not_contains "$ERR" "rolled back"
expect_exit 0 kw get dev/app/CLOCK
echo "defect 9 (reads on a full disk): ok"
echo "regressions: ok"

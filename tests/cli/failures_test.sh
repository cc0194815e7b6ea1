#!/usr/bin/env bash
# Failure paths leave the vault unchanged (same bytes) and give clear errors: wrong passphrase,
# wrong identity, missing vault, locked vault, full disk (RLIMIT_FSIZE), and a byte-walk over the
# file through the CLI (sampled: the unit test walks every byte in-process) showing no crash and
# no partial output.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
. "$(dirname "$0")/lib.sh"
require_tools age-keygen

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
new_identity
kw slot add recipient --recipient "$RECIPIENT" --passphrase-file "$PASSFILE" 2>/dev/null
before=$(vault_hash)

# Wrong passphrase / identity / recovery code.
expect_exit 5 env KEYWARD_PASSPHRASE=wrong "$KEYWARD_BIN" set dev/api/A </dev/null
expect_contains "$ERR" "wrong passphrase"
cp "$IDENTITY_FILE" "$TMP/right-id"
new_identity
expect_exit 5 kw rm dev/api/A --identity-file "$IDENTITY_FILE"
expect_contains "$ERR" "wrong identity"
expect_eq "$(vault_hash)" "$before"

# Missing vault: not_found with the path and the init hint.
expect_exit 6 kw --vault "$TMP/nope/v.db" list --passphrase-file "$PASSFILE"
expect_contains "$ERR" "$TMP/nope/v.db"
expect_contains "$ERR" "keyward init"

# Locked vault: another process holds the write lock; keyward waits, then says so.
python3 - "$KEYWARD_VAULT" "$TMP/locked" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
db.execute("ROLLBACK")
PY
locker=$!
for _ in $(seq 100); do [[ -e $TMP/locked ]] && break; sleep 0.05; done
expect_exit 15 env KEYWARD_LOCK_TIMEOUT_MS=200 bash -c "printf v | '$KEYWARD_BIN' set dev/api/B --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "locked by another keyward process"
# Reads are not blocked by a writer (WAL).
expect_exit 0 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_eq "$OUT" "alpha"
wait "$locker"
expect_eq "$(vault_hash)" "$before"

# Full disk: a file-size limit smaller than the write needs. The error is io, nothing changes.
head -c 200000 /dev/zero | tr '\0' 'x' >"$TMP/big"
expect_exit 16 bash -c "ulimit -f 16; '$KEYWARD_BIN' set dev/api/BIG --passphrase-file '$PASSFILE' <'$TMP/big'"
expect_contains "$ERR" "nothing was changed"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
expect_eq "$(vault_hash)" "$before"
expect_exit 6 kw get dev/api/BIG --passphrase-file "$PASSFILE"
expect_exit 0 kw list --passphrase-file "$PASSFILE"

# CLI byte walk (sampled): every flip gives exit 0 with the right value, or exit 4/5/8 with one
# line on stderr and nothing on stdout. Never a crash (exit >= 128) or partial output.
pristine=$TMP/pristine.db
cp "$KEYWARD_VAULT" "$pristine"
size=$(stat -c %s "$pristine")
stride=${KEYWARD_TEST_BYTE_STRIDE:-97}
for ((i = 0; i < size; i += stride)); do
  cp "$pristine" "$KEYWARD_VAULT"
  rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
  byte=$(od -An -tu1 -j "$i" -N1 "$pristine" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 0x5A)))" | dd of="$KEYWARD_VAULT" bs=1 seek="$i" conv=notrunc status=none
  ! cmp -s "$pristine" "$KEYWARD_VAULT" || fail "byte $i was not flipped"
  rc=0
  "$KEYWARD_BIN" get dev/api/A --identity-file "$TMP/right-id" >"$TMP/o" 2>"$TMP/e" || rc=$?
  case $rc in
    0) expect_eq "$(cat "$TMP/o")" "alpha" ;;
    4|5|8) [[ ! -s $TMP/o ]] || fail "byte $i: partial output"
           [[ $(wc -l <"$TMP/e") == 1 ]] || fail "byte $i: stderr: $(cat "$TMP/e")" ;;
    *) fail "byte $i: unexpected exit $rc: $(cat "$TMP/e")" ;;
  esac
  rm -rf "$XDG_STATE_HOME"  # a flip must not be judged against a pin another flip raised
done
echo "failures: ok"

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

# CLI byte walk (sampled): each flipped byte is placed in the SQLite file (page of which table,
# and whether it is the file header, a page header / cell pointer array, cell content or unused
# space) and must give exactly what that place allows, with the documented message:
#   unused space                       -> 0 and the right value (nothing reads it)
#   a record cell                      -> 4 (the record's AEAD or its id/idx binding fails)
#   a header or slot cell              -> 4, or 5 when the identity's slot no longer matches
#   SQLite structure (file/page header, schema) -> 0 (a field SQLite does not need) or 4, or
#                                        3 "not a keyward vault" for the magic / application id
# Never a crash (exit >= 128), partial output, more than one line on stderr, or a changed file.
pristine=$TMP/pristine.db
cp "$KEYWARD_VAULT" "$pristine"
# The machine state that goes with it (pin, audit log): the vault header anchors the audit log,
# so a fresh state directory would be a deleted log (exit 8, docs/format-audit.md section 9).
cp -a "$XDG_STATE_HOME" "$TMP/pristine-state"
size=$(stat -c %s "$pristine")
stride=${KEYWARD_TEST_BYTE_STRIDE:-97}
msg4="keyward: decryption failed: wrong key, or the data was corrupted or tampered with"
msg5="keyward: wrong identity: no recipient slot of this vault matches it (or the slot is damaged)"
/usr/bin/python3 - "$pristine" "$stride" >"$TMP/places" <<'PY'
import sqlite3, sys
path, stride = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
pgsize = db.execute("PRAGMA page_size").fetchone()[0]
table = {p: n for n, p in db.execute("SELECT name, pageno FROM dbstat")}
db.close()
data = open(path, "rb").read()
for i in range(0, len(data), stride):
    p, o = i // pgsize + 1, i % pgsize
    base = 100 if p == 1 else 0
    page = data[(p - 1) * pgsize:p * pgsize]
    ncell = int.from_bytes(page[base + 3:base + 5], "big")
    content = int.from_bytes(page[base + 5:base + 7], "big") or 65536
    name = table.get(p, "none")
    if p == 1 and o < 100 or name in ("sqlite_schema", "none") or o < base + 8 + 2 * ncell:
        kind = "structure" if o < content else "structure-cell"
    elif o >= content:
        kind = "record" if name == "records" else ("keys" if name in ("header", "slots") else "other-cell")
    else:
        kind = "unused"
    print(i, kind)
PY
declare -A seen=()
while read -r i kind; do
  cp "$pristine" "$KEYWARD_VAULT"
  rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
  byte=$(od -An -tu1 -j "$i" -N1 "$pristine" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 0x5A)))" | dd of="$KEYWARD_VAULT" bs=1 seek="$i" conv=notrunc status=none
  ! cmp -s "$pristine" "$KEYWARD_VAULT" || fail "byte $i was not flipped"
  flipped=$(vault_hash)
  rc=0
  "$KEYWARD_BIN" get dev/api/A --identity-file "$TMP/right-id" >"$TMP/o" 2>"$TMP/e" || rc=$?
  case "$kind:$rc" in
    unused:0|structure:0|structure-cell:0|other-cell:0) expect_eq "$(cat "$TMP/o")" "alpha" ;;
    record:4|keys:4|structure:4|structure-cell:4|other-cell:4) expect_eq "$(cat "$TMP/e")" "$msg4" ;;
    keys:5) expect_eq "$(cat "$TMP/e")" "$msg5" ;;
    structure:3) (( i < 100 )) || fail "byte $i: exit 3 outside the file header"
                 expect_contains "$(cat "$TMP/e")" "is not a keyward vault" ;;
    *) fail "byte $i ($kind): exit $rc is not what a flip there may give: $(cat "$TMP/e")" ;;
  esac
  [[ $rc == 0 || ! -s $TMP/o ]] || fail "byte $i ($kind): partial output"
  rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
  expect_eq "$(vault_hash)" "$flipped"  # a read never rewrites (or "repairs") the file
  seen[$kind:$rc]=$(( ${seen[$kind:$rc]:-0} + 1 ))
  # A flip must not be judged against a pin another flip raised (or a log it extended).
  rm -rf "$XDG_STATE_HOME"
  cp -a "$TMP/pristine-state" "$XDG_STATE_HOME"
done <"$TMP/places"
echo "byte walk (place:exit count): $(for k in "${!seen[@]}"; do printf '%s=%s ' "$k" "${seen[$k]}"; done)"
# The sample reached the places that matter.
[[ -n ${seen[unused:0]:-} && -n ${seen[record:4]:-} ]] || fail "the byte walk missed unused space or the records"
echo "failures: ok"

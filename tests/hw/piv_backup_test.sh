#!/usr/bin/env bash
# Two PIV slots (primary and backup card): the backup unlocks when the primary is absent; with no
# card of the vault present the error names the serials needed and the readers seen; a card
# pulled out mid-operation is a device error; slot removal (verified with the PIN-always card).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 insert 2>/dev/null || true; ctl piv1 insert 2>/dev/null || true; rm -rf "$TMP"' EXIT

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
# PIN policy always: the primary can also verify the user (slot rm / rotate-master need it).
expect_exit 0 enrol_piv $S1 primary --pin-policy always
expect_exit 0 enrol_piv $S2 backup --touch never --pin-policy once
expect_exit 0 kw slot list --passphrase-file "$PASSFILE"
expect_contains "$OUT" "primary"
expect_contains "$OUT" "backup"

# Primary absent: the backup card (touch never) unlocks without a touch prompt.
ctl piv0 remove
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
expect_not_contains "$ERR" "Touch your"   # backup is touch=never: no touch prompt
ctl piv1 remove
expect_exit 10 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "$S1"
expect_contains "$ERR" "$S2"
expect_contains "$ERR" "readers seen"
ctl piv0 insert
ctl piv1 insert
wait_ready piv0
wait_ready piv1

# Card pulled out while waiting for the touch.
bg_get dev/api/A
ctl piv0 wait-touch 20000
ctl piv0 remove
bg_wait 10
ctl piv0 insert
wait_ready piv0

# A vault whose only PIV slot is on card 1, with only card 2 inserted: wrong card.
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
backup_no=$(python3 -c 'import json,sys; print([s["slot"] for s in json.loads(sys.argv[1]) if s["label"]=="backup"][0])' "$OUT")
ctl piv0 auto-touch 50
expect_exit 0 kw slot rm "$backup_no" --passphrase-file "$PASSFILE" --pin-file "$PINFILE" </dev/null
expect_contains "$ERR" "to authorise \`slot rm $backup_no\`"
ctl piv0 remove
expect_exit 10 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "card $S2"
ctl piv0 insert
wait_ready piv0
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"

# rotate-master with a hardware slot: the card only verifies the user (PIN + touch, presence
# gate); rewrapping needs no card, and the card still unlocks.
expect_exit 0 kw rotate-master --piv --pin-file "$PINFILE"
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
expect_eq "$(kw get dev/api/A --passphrase-file "$PASSFILE")" "alpha"
ctl piv0 auto-touch off
echo "piv_backup: ok"

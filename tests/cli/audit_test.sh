#!/usr/bin/env bash
# keyward audit: every vault operation leaves an entry (never a value), --json parses, --since
# filters, and tampering with the log (edit, deletion in the middle or at the end, head removal)
# makes `audit --verify` fail with exit 8 and a message that says what was found. A log whose
# end was cut off refuses further entries, so nothing is released until it is dealt with.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
AUD=$XDG_STATE_HOME/keyward/audit
S1='v4lue-One-7f3a9Qz'
S2='second-S3cret-b2Kx'
unlock=(--passphrase-file "$PASSFILE")

init_vault
setv dev/api/TOKEN "$S1"
setv dev/api/OTHER "$S2"
kw get dev/api/TOKEN "${unlock[@]}" >/dev/null
kw run --env dev "${unlock[@]}" -- /bin/true child-arg-Q7 another
kw export --env dev "${unlock[@]}" >/dev/null
printf 'IMPORTED=%s\n' "$S1" >"$TMP/in.env"
kw import "$TMP/in.env" --env dev --component web "${unlock[@]}" 2>/dev/null
kw rm dev/api/OTHER "${unlock[@]}" 2>/dev/null
expect_exit 6 kw get dev/api/MISSING "${unlock[@]}"
printf 'wrong passphrase\n' >"$TMP/wrong"
expect_exit 5 kw get dev/api/TOKEN --passphrase-file "$TMP/wrong"
printf 'second pass\n' >"$TMP/pass2"
kw slot add passphrase --label second --new-passphrase-file "$TMP/pass2" --kdf-memory 8 \
  --kdf-time 1 --kdf-parallelism 1 "${unlock[@]}" 2>/dev/null
kw slot rm 2 "${unlock[@]}" </dev/null 2>/dev/null
kw rotate-master "${unlock[@]}" 2>/dev/null

LOG=$(ls "$AUD"/*.log)
HEAD=${LOG%.log}.head
[[ -f $HEAD ]] || fail "no head file next to $LOG"
[[ $(stat -c %a "$LOG") == 600 ]] || fail "the log must be private (0600)"

# Never a value, anywhere in the audit directory.
for s in "$S1" "$S2" child-arg-Q7; do
  if grep -rqF "$s" "$AUD"; then fail "secret value found in the audit log"; fi
done

expect_exit 0 kw audit "${unlock[@]}"
for want in "init  ok" "set  ok  dev/api/TOKEN (normal)" "get  ok  dev/api/TOKEN (normal)" \
  "run  ok  dev/api/OTHER (normal) dev/api/TOKEN (normal)" "export  ok" \
  "import  ok  dev/web/IMPORTED (normal)" "rm  ok  dev/api/OTHER" \
  "get  error  dev/api/MISSING" "no secret at dev/api/MISSING" "slot-add  ok" \
  "passphrase slot 'second'" "slot-rm  ok" "rotate-master  ok" "unlock  ok" \
  "-- /bin/true [2 more arguments not recorded]" "[slot 1 passphrase" "keyward get dev/api/TOKEN --passphrase-file $PASSFILE' pid "; do
  expect_contains "$OUT" "$want"
done
# A wrong credential never unlocked anything: it is not in the log (docs/format-audit.md).
expect_not_contains "$OUT" "wrong"

# --json parses and carries the same entries.
expect_exit 0 kw audit --json "${unlock[@]}"
printf '%s' "$OUT" >"$TMP/audit.json"
$PY - "$TMP/audit.json" <<'PYEOF'
import json, sys
entries = json.load(open(sys.argv[1]))
ops = [e["op"] for e in entries]
for op in ["init", "set", "get", "run", "export", "import", "rm", "slot-add", "slot-rm",
           "rotate-master", "unlock"]:
    assert op in ops, (op, ops)
assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
get = [e for e in entries if e["op"] == "get" and e["outcome"] == "ok"][0]
assert get["items"] == [{"name": "dev/api/TOKEN", "tier": "normal"}], get
assert get["slot"]["type"] == "passphrase", get
assert get["requester"]["argv"][0].endswith("keyward") and get["requester"]["argv"][1] == "get", get
PYEOF

# --since: nothing in the future, everything in the last hour; bad values are usage errors.
expect_exit 0 kw audit --json --since 2099-01-01 "${unlock[@]}"
expect_eq "$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
expect_exit 0 kw audit --json --since 1h "${unlock[@]}"
n=$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $n -gt 15 ]] || fail "--since 1h should keep every entry, got $n"
expect_exit 2 kw audit --since yesterday "${unlock[@]}"

expect_exit 0 kw audit --verify "${unlock[@]}"
expect_contains "$OUT" "entries verified"
expect_contains "$OUT" "by MAC under earlier master keys"
expect_exit 0 kw audit --verify --json "${unlock[@]}"
expect_eq "$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ok"])')" True

cp "$LOG" "$TMP/log.good"
cp "$HEAD" "$TMP/head.good"
restore() { cp "$TMP/log.good" "$LOG"; cp "$TMP/head.good" "$HEAD"; }

# Editing an entry (here: turning a denied/failed get into another op) is detected.
sed -i '0,/op=get outcome=error/s//op=set outcome=error/' "$LOG"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "FAILED verification"
expect_contains "$ERR" "does not follow the entry before it"
restore

# Deleting an entry in the middle.
sed -i '3d' "$LOG"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "where entry 3 was expected"
restore

# Deleting the last entries: detected, and further use is refused (nothing released).
head -n -2 "$TMP/log.good" >"$LOG"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "the last entries were removed"
expect_exit 8 kw get dev/api/TOKEN "${unlock[@]}"
expect_eq "$OUT" ""
expect_contains "$ERR" "removed from the end"
restore

# Deleting the head.
rm "$HEAD"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "is missing"
expect_exit 8 kw get dev/api/TOKEN "${unlock[@]}"
restore

# Whole log swapped for another vault's log: detected.
OTHER=$TMP/other
mkdir -p "$OTHER"
KEYWARD_VAULT=$OTHER/v.db XDG_STATE_HOME=$OTHER/state init_vault 2>/dev/null
cp "$OTHER"/state/keyward/audit/*.log "$LOG"
cp "$OTHER"/state/keyward/audit/*.head "$HEAD"
expect_exit 8 kw audit --verify "${unlock[@]}"
restore

expect_exit 0 kw audit --verify "${unlock[@]}"
echo "audit: ok"

#!/usr/bin/env bash
# Issue 16: an attacker who can write the user's files but holds no key cannot rewrite the audit
# history. Each attack from the issue, replayed: a forged (zero-MAC) head and a genuine old head
# after a re-key, invented entries under an old master's tag, the deleted log, and the agent's
# deferred-sync window (the agent killed right after its answer, its last entry cut). Each makes
# `keyward audit --verify` exit 8, and `audit --verify` never appends before it has verified.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
AUD=$XDG_STATE_HOME/keyward/audit
unlock=(--passphrase-file "$PASSFILE")

init_vault 2>/dev/null
setv dev/api/PASSWORD 'p4ss-Value-Q'
kw get dev/api/PASSWORD "${unlock[@]}" >/dev/null
LOG=$(ls "$AUD"/*.log)
HEAD=${LOG%.log}.head
cp "$LOG" "$TMP/log.before"
cp "$HEAD" "$TMP/head.before"      # a genuine head under the old master
n_before=$(wc -l <"$LOG")
old_tag=$(sed -n '1s/.* key=\([0-9a-f]*\) .*/\1/p' "$LOG")
kw rotate-master "${unlock[@]}" 2>/dev/null
kw get dev/api/PASSWORD "${unlock[@]}" >/dev/null
kw export --env dev "${unlock[@]}" >/dev/null
expect_exit 0 kw audit --verify "${unlock[@]}"
expect_contains "$OUT" "by MAC under earlier master keys"
cp "$LOG" "$TMP/log.good"
cp "$HEAD" "$TMP/head.good"
restore() { cp "$TMP/log.good" "$LOG"; cp "$TMP/head.good" "$HEAD"; }

# 1. Cut back to before the rotation, head rewritten under the old tag with an all-zero MAC.
cp "$TMP/log.before" "$LOG"
last=$(tail -n 1 "$LOG")
hash=$(printf 'keyward/audit/v1/chain%s' "$last" | sha256sum | cut -d' ' -f1)
vid=$(basename "$LOG" .log)
printf 'kwaudit-head1 vault=%s seq=%s hash=%s key=%s mac=%s\n' "$vid" "$n_before" "$hash" \
  "$old_tag" "$(printf '0%.0s' $(seq 64))" >"$HEAD"
size_before=$(stat -c %s "$LOG")
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "does not verify under the key it names"
# Verification came first: nothing was appended to (or re-MACed over) the forged log.
expect_eq "$(stat -c %s "$LOG")" "$size_before"
expect_exit 8 kw get dev/api/PASSWORD "${unlock[@]}"
expect_eq "$OUT" ""

# 2. The same cut with the genuine old head put back: caught by the vault's anchor.
cp "$TMP/log.before" "$LOG"
cp "$TMP/head.before" "$HEAD"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "the vault records that this machine's log held entry"
expect_exit 8 kw get dev/api/PASSWORD "${unlock[@]}"
restore

# 3. The whole log replaced by three invented entries under the old tag (MACs of abab...).
$PY - "$LOG" "$HEAD" "$old_tag" "$vid" <<'PYEOF'
import hashlib, sys
log, head, tag, vid = sys.argv[1:]
prev = "0" * 64
lines = []
for seq, op in enumerate(["get", "get", "export"], 1):
    body = (f"kwaudit1 seq={seq} time=2026-11-30T04:25:0{seq}Z key={tag} prev={prev} op={op} "
            f"outcome=ok slot=1 slot-type=passphrase slot-label=bob-laptop "
            f"items=prod/db/PASSWORD:normal cmd=keyward+{op} pid=1 ppid=1 parent=bash tty= detail=")
    line = body + " mac=" + "ab" * 32
    lines.append(line)
    prev = hashlib.sha256(b"keyward/audit/v1/chain" + line.encode()).hexdigest()
open(log, "w").write("\n".join(lines) + "\n")
open(head, "w").write(f"kwaudit-head1 vault={vid} seq=3 hash={prev} key={tag} mac={'ab' * 32}\n")
PYEOF
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "does not verify under the key it names"
expect_exit 8 kw audit "${unlock[@]}"   # the listing fails too: nothing is shown as real
restore

# 4. The log deleted: the vault says this machine's log held entries.
rm -f "$LOG" "$HEAD"
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "the log was deleted"
[[ ! -e $LOG ]] || fail "audit --verify must not start a new log"
expect_exit 8 kw get dev/api/PASSWORD "${unlock[@]}"
expect_eq "$OUT" ""
# Moving files by hand does not restart it either; the deliberate restart needs the key.
expect_exit 0 kw audit --new-log "${unlock[@]}"
expect_exit 0 kw audit --verify "${unlock[@]}"
expect_exit 0 kw get dev/api/PASSWORD "${unlock[@]}"
cp "$LOG" "$TMP/log.good"; cp "$HEAD" "$TMP/head.good"

# 5. The agent's deferred sync: the agent answers, is killed before it syncs, and the attacker
# cuts its last entry. The head named the entry before the answer left: detected.
unset KEYWARD_NO_AGENT
cleanup() { "$KEYWARD_BIN" -q agent stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
expect_exit 0 kw agent start --idle-ttl 1h
kw get dev/api/PASSWORD "${unlock[@]}" >/dev/null   # hands the vault to the agent
expect_exit 0 kw get dev/api/PASSWORD
expect_eq "$OUT" "p4ss-Value-Q"
tail -n 1 "$LOG" | grep -q 'detail=served%20by%20the%20agent' ||
  fail "the agent's entry is not the last one: $(tail -n 1 "$LOG")"
PID=$("$KEYWARD_BIN" --json agent status 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
[[ -n $PID ]] && kill -9 "$PID"
head -n -1 "$LOG" >"$TMP/cut" && cat "$TMP/cut" >"$LOG"
export KEYWARD_NO_AGENT=1
expect_exit 8 kw audit --verify "${unlock[@]}"
expect_contains "$ERR" "the last entries were removed"
echo "audit_attack: ok"

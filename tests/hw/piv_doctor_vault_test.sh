#!/usr/bin/env bash
# keyward doctor beyond the devices: the vault without a credential (present, SQLite integrity,
# header parses, local pin consistent with the revision: a rolled-back copy is reported), the pin
# directory's permissions, the agent socket (absent / stale / answering), factory credentials on
# a card as a warning; every problem with its fix, --json.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
export XDG_RUNTIME_DIR=$TMP/run
mkdir -p "$XDG_RUNTIME_DIR/keyward"
doc() { kw doctor --json >"$TMP/doc.json" 2>"$TMP/doc.err" || true; }
py() { /usr/bin/python3 - "$TMP/doc.json" "$@"; }

# No vault yet: a warning, not a problem.
doc
py <<'PY' || fail "doctor without a vault: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["vault"]["present"] is False, d["vault"]
assert any("keyward init" in w for w in d["warnings"]), d["warnings"]
assert not any("vault" in p["problem"] for p in d["problems"]), d["problems"]
assert d["agent"]["running"] is False
# factory credentials on the fresh simulated cards: a warning naming the fix.
assert any("20000001" in w and "factory" in w and "slot add piv" in w for w in d["warnings"]), d["warnings"]
cards = {r["card"]["serial"]: r["card"] for r in d["readers"] if "card" in r}
assert cards[20000001]["factory_credentials"] == "PIN PUK management-key", cards
PY

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
cp "$KEYWARD_VAULT" "$TMP/old.db"
setv dev/api/B "beta" 2>/dev/null
doc
py <<'PY' || fail "doctor with a good vault: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["vault"]
assert v["present"] and v["sqlite_integrity"] == "ok" and v["pinned"] is True, v
assert v["revision"] >= 1 and v["pinned_revision"] == v["revision"], v
assert len(v["vault_id"]) == 32
assert d["pin_dir"]["mode"] == "700", d["pin_dir"]
assert not any("vault" in p["problem"] or "pin directory" in p["problem"] for p in d["problems"]), d["problems"]
PY
kw doctor >"$TMP/doc.txt" 2>&1 || true
expect_contains "$(cat "$TMP/doc.txt")" "header parses, revision"
expect_contains "$(cat "$TMP/doc.txt")" "agent: not running"

# A rolled-back copy (older revision than this machine pinned): integrity problem + fix.
cp "$KEYWARD_VAULT" "$TMP/new.db"
cp "$TMP/old.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
doc
py <<'PY' || fail "rollback not reported: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["problems"] if "older (revision" in p["problem"]]
assert p and "vault forget" in p[0]["fix"], d["problems"]
PY
cp "$TMP/new.db" "$KEYWARD_VAULT"

# A damaged file: SQLite's check fails.
cp "$KEYWARD_VAULT" "$TMP/good.db"
printf 'this is not sqlite' | dd of="$KEYWARD_VAULT" bs=1 seek=0 conv=notrunc 2>/dev/null
doc
py <<'PY' || fail "damaged vault not reported: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["vault"]["sqlite_integrity"] != "ok", d["vault"]
assert any("integrity check" in p["problem"] and "backup" in p["fix"] for p in d["problems"]), d["problems"]
PY
cp "$TMP/good.db" "$KEYWARD_VAULT"

# Pin directory readable by others.
chmod 755 "$XDG_STATE_HOME/keyward/pins"
doc
py "$XDG_STATE_HOME/keyward/pins" <<'PY' || fail "pin dir mode not reported: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["problems"] if "pin directory" in p["problem"]]
assert p and p[0]["fix"] == "chmod 700 '%s'" % sys.argv[2], d["problems"]
PY
chmod 700 "$XDG_STATE_HOME/keyward/pins"

# Agent socket: stale (nobody listening), then answering.
SOCK=$XDG_RUNTIME_DIR/keyward/agent.sock
/usr/bin/python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()" "$SOCK"
doc
py <<'PY' || fail "stale agent socket not reported: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["agent"]["running"] is False, d["agent"]
assert any("nobody answers" in p["problem"] and p["fix"].startswith("rm ") for p in d["problems"]), d["problems"]
PY
rm -f "$SOCK"
/usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[2], 'w').close()
time.sleep(30)" "$SOCK" "$TMP/listening" &
LISTENER=$!
for _ in $(seq 1 50); do [[ -e $TMP/listening ]] && break; sleep 0.1; done
doc
kill "$LISTENER" 2>/dev/null || true
wait "$LISTENER" 2>/dev/null || true
py <<'PY' || fail "answering agent socket not seen: $(cat "$TMP/doc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["agent"]["running"] is True, d["agent"]
PY
echo "piv_doctor_vault: ok"

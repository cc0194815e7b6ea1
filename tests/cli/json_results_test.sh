#!/usr/bin/env bash
# Issue 18, "machine-readable everywhere": init, slot add, package and unpack answer --json with
# one JSON object on stdout, the documented members exactly (docs/json.md), the progress lines
# staying on stderr; a failing command with --json prints nothing on stdout and one error object
# on stderr with the exit code inside.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen

# check_json TEXT PYTHON-EXPR...: TEXT is one JSON object; each expression (over `j`) holds.
check_json() {
  local text=$1
  shift
  /usr/bin/python3 - "$text" "$@" <<'EOF' || fail "JSON check failed on: $text"
import json, sys
j = json.loads(sys.argv[1])
assert isinstance(j, dict), j
for expr in sys.argv[2:]:
    assert eval(expr), (expr, j)
EOF
}

# ---- init --json --recovery: the vault, and the recovery code once (the text banner is not printed)
expect_exit 0 kw init --json --recovery --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null
check_json "$OUT" \
  'sorted(j) == ["recovery_code", "slots", "vault", "vault_id"]' \
  'j["slots"] == 2 and j["vault"].endswith("/vault.db")' \
  'len(j["vault_id"]) == 32 and all(c in "0123456789abcdef" for c in j["vault_id"])' \
  'len(j["recovery_code"].split("-")) == 8'
expect_not_contains "$OUT" "shown once"
expect_contains "$ERR" "Created vault"
CODE=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["recovery_code"])' "$OUT")
printf '%s\n' "$CODE" >"$TMP/code"
setv dev/api/A alpha
setv dev/api/B beta
# The code from the JSON answer opens the vault.
expect_exit 0 kw get dev/api/A --recovery-code-file "$TMP/code"
expect_eq "$OUT" "alpha"

# ---- slot add --json: the new slot
age-keygen -o "$TMP/id.key" 2>/dev/null
RCPT=$(age-keygen -y "$TMP/id.key")
expect_exit 0 kw slot add recipient --recipient "$RCPT" --label ci --json --passphrase-file "$PASSFILE" </dev/null
check_json "$OUT" 'j == {"slot": 3, "type": "recipient", "label": "ci"}'
expect_contains "$ERR" "Added slot 3"
expect_exit 0 kw slot add recovery --json --recovery-code-file "$TMP/code" </dev/null
check_json "$OUT" 'sorted(j) == ["label", "recovery_code", "slot", "type"]' \
  'j["slot"] == 4 and j["type"] == "recovery"'
# Global --json before the command works the same.
expect_exit 7 kw --json slot add recipient --recipient "$RCPT" --label ci --passphrase-file "$PASSFILE" </dev/null
expect_eq "$OUT" ""
check_json "$ERR" 'j["error"]["class"] == "already_exists" and j["error"]["exit_code"] == 7'

# ---- package --json: what was written, never a secret
age-keygen -o "$TMP/r.key" 2>/dev/null
PEER=$(age-keygen -y "$TMP/r.key")
expect_exit 0 kw package --json --env dev --recipient "$PEER" --sign --out "$TMP/p.kpkg" --passphrase-file "$PASSFILE" </dev/null
check_json "$OUT" \
  'sorted(j) == sorted(["package", "package_id", "env", "entries", "high", "recipients", "hardware_recipients", "created", "expires", "token", "token_expires", "signer"])' \
  'j["entries"] == 2 and j["high"] == 0 and j["recipients"] == 1 and j["hardware_recipients"] == 0' \
  'j["token"] is None and j["token_expires"] is None and j["env"] == "dev"' \
  'j["expires"] - j["created"] == 86400 and j["signer"].startswith("ssh-ed25519 ")' \
  'len(j["package_id"]) == 32'
PKG_ID=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["package_id"])' "$OUT")
SIGNER=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["signer"])' "$OUT")
expect_contains "$ERR" "Sealed 2 secret(s)"
# With a token asked for: its path and expiry.
expect_exit 0 kw package --json --env dev --recipient "$PEER" --out "$TMP/q.kpkg" --token-out "$TMP/q.tok" \
  --token-ttl 1h --passphrase-file "$PASSFILE" </dev/null
check_json "$OUT" 'j["token"].endswith("q.tok") and j["token_expires"] - j["created"] == 3600' 'j["signer"] is None'
# --qr prints codes on stdout: not together with --json, refused before anything is asked.
expect_exit 2 kw package --json --qr --armor --env dev --recipient "$PEER" --out "$TMP/r.kpkg" </dev/null
expect_eq "$OUT" ""
[[ ! -e $TMP/r.kpkg ]] || fail "a refused package left a file"

# ---- unpack --json: the package's facts, what was imported, what stays sealed
init_second() {
  KEYWARD_VAULT=$TMP/second.db "$KEYWARD_BIN" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null 2>/dev/null
}
init_second
printf '%s\n' "$SIGNER" >"$TMP/signer.pub"
OUT=$(KEYWARD_VAULT=$TMP/second.db "$KEYWARD_BIN" unpack --json --in "$TMP/p.kpkg" --package-identity "$TMP/r.key" \
  --from "$TMP/signer.pub" --passphrase-file "$PASSFILE" </dev/null 2>"$TMP/err") || fail "unpack --json: $(cat "$TMP/err")"
check_json "$OUT" \
  'sorted(j) == sorted(["package_id", "env", "created", "expires", "signer", "trusted_signer", "imported", "sealed"])' \
  'j["imported"] == [{"coordinate": "dev/api/A", "tier": "normal"}, {"coordinate": "dev/api/B", "tier": "normal"}]' \
  'j["sealed"] == [] and j["trusted_signer"] is True and j["env"] == "dev"'
expect_contains "$OUT" "\"package_id\": \"$PKG_ID\""
# The same package again: refused (the entries exist), one error object, nothing on stdout.
set +e
OUT=$(KEYWARD_VAULT=$TMP/second.db "$KEYWARD_BIN" unpack --json --in "$TMP/p.kpkg" --package-identity "$TMP/r.key" \
  --passphrase-file "$PASSFILE" </dev/null 2>"$TMP/err")
RC=$?
set -e
expect_eq "$RC" "7"
expect_eq "$OUT" ""
check_json "$(grep '^{' "$TMP/err")" 'j["error"]["class"] == "already_exists" and j["error"]["exit_code"] == 7' \
  '"--overwrite" in j["error"]["message"]'

# Shared helpers for the vault CLI tests. Source it: `. "$(dirname "$0")/lib.sh"`.
# Every test gets a private temporary HOME/XDG state/data and vault, small Argon2 parameters
# (the documented floor) and no terminal, so nothing can prompt.
set -euo pipefail
: "${KEYWARD_BIN:?KEYWARD_BIN must point to the keyward binary}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kwcli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export HOME=$TMP/home XDG_STATE_HOME=$TMP/state XDG_DATA_HOME=$TMP/data
mkdir -p "$HOME"
export KEYWARD_VAULT=$TMP/vault.db
unset KEYWARD_PASSPHRASE KEYWARD_IDENTITY KEYWARD_RECOVERY_CODE KEYWARD_NEW_PASSPHRASE
# No unlock agent unless a test asks for one (tests/cli/agent_test.sh); if one is started anyway,
# it lives in this test's private runtime directory.
export KEYWARD_NO_AGENT=1 XDG_RUNTIME_DIR=$TMP/run
unset KEYWARD_AGENT_SOCKET KEYWARD_AGENT_AUTOSTART
mkdir -m 700 "$XDG_RUNTIME_DIR"
PASSFILE=$TMP/pass
printf 'correct horse battery\n' >"$PASSFILE"
SMALL_KDF=(--kdf-memory 8 --kdf-time 1 --kdf-parallelism 1)

fail() { echo "FAIL: $*" >&2; exit 1; }

# Prerequisites. A test states what it needs before its first check: in CI (CI=true) a missing
# tool or service is a failure; elsewhere the whole test is reported as skipped (exit 77, ctest
# SKIP_RETURN_CODE). Skipping after a check has run is refused: it would hide the checks that ran.
CHECKS_RAN=0
skip_or_fail() {
  [[ $CHECKS_RAN == 0 ]] || fail "prerequisite missing after checks ran (state it at the top): $*"
  [[ ${CI:-} != true ]] || fail "$* (CI=true: a missing prerequisite is a failure)"
  echo "SKIPPED: $*" >&2
  exit 77
}
# require_tools TOOL...: each TOOL must be on PATH.
require_tools() {
  local t
  for t; do command -v "$t" >/dev/null || skip_or_fail "$t is not installed (scripts/install-deps.sh installs it)"; done
}
# require_root WHY: the test needs uid 0 (CI runs as root).
require_root() { [[ $(id -u) == 0 ]] || skip_or_fail "needs root: $*"; }

# Runs keyward without a controlling terminal (so a missing credential can never hang).
kw() {
  CHECKS_RAN=1
  if command -v setsid >/dev/null; then setsid -w "$KEYWARD_BIN" "$@"; else "$KEYWARD_BIN" "$@"; fi
}

init_vault() { kw init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" "$@" </dev/null; }

# expect_exit CODE CMD... : runs CMD, stdout in $OUT, stderr in $ERR, checks the exit code.
expect_exit() {
  local want=$1
  shift
  local got=0
  CHECKS_RAN=1
  "$@" >"$TMP/.out" 2>"$TMP/.err" || got=$?
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
  [[ $got == "$want" ]] || fail "expected exit $want, got $got: $* | stderr: $ERR | stdout: $OUT"
}

expect_contains() { [[ "$1" == *"$2"* ]] || fail "expected '$2' in: $1"; }
expect_not_contains() { [[ "$1" != *"$2"* ]] || fail "did not expect '$2' in: $1"; }
expect_eq() { [[ "$1" == "$2" ]] || fail "expected '$2', got '$1'"; }

vault_hash() { sha256sum "$KEYWARD_VAULT" | cut -d' ' -f1; }

# A fresh age identity (the real age-keygen format). Sets IDENTITY_FILE and RECIPIENT.
new_identity() {
  require_tools age-keygen
  IDENTITY_FILE=$TMP/id-$RANDOM.txt
  age-keygen -o "$IDENTITY_FILE" 2>/dev/null
  RECIPIENT=$(age-keygen -y "$IDENTITY_FILE")
}

# Sets a secret from a literal, with the passphrase file.
setv() { printf '%s' "$2" | kw set "$1" --passphrase-file "$PASSFILE"; }

# tty_run SCRIPT CMD...: runs CMD on a new pseudo-terminal (tests/cli/drive_tty.py); SCRIPT holds
# "expected prompt|answer" lines. Sets OUT to what the terminal showed; returns CMD's exit code.
tty_run() {
  local script=$1
  shift
  local got=0
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/drive_tty.py" "$script" "$@" || got=$?
  OUT=$(cat "$script.out" 2>/dev/null || true)
  return $got
}

# Shared helpers for the hwsim shell tests (sourced). Needs HWSIM_BIN and HWSIM_STATE.
set -euo pipefail
: "${HWSIM_BIN:?}" "${HWSIM_STATE:?}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
ctl() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$@"; }
piv() { local reader=$1; shift; yubico-piv-tool -r "$reader" "$@"; }

# expect_ok LOG CMD...: command must succeed; its stdout+stderr go to LOG.
expect_ok() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; fail "command failed: $*"; fi
}
# expect_fail LOG MESSAGE CMD...: command must fail and print MESSAGE.
expect_fail() {
  local log=$1 msg=$2; shift 2
  if "$@" >"$log" 2>&1; then cat "$log" >&2; fail "command unexpectedly succeeded: $*"; fi
  grep -qF -- "$msg" "$log" || { cat "$log" >&2; fail "expected message '$msg' from: $*"; }
}
expect_grep() {  # expect_grep FILE TEXT
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "expected '$2' in $1"; }
}

# Certificate for a card-held key, issued by a throw-away test CA. (yubico-piv-tool 2.2's own
# selfsign-certificate is tried first; see piv_tool_test.sh.)
ca_cert() {  # ca_cert PUBKEY_PEM OUT_CERT SUBJECT
  [ -f "$WORK/testca.key" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/testca.key" 2>/dev/null
  openssl x509 -new -subj "$3" -force_pubkey "$1" -key "$WORK/testca.key" -days 30 -out "$2" 2>/dev/null
}

# Hex of the raw value of extension OID in a PEM certificate.
ext_hex() {  # ext_hex CERT OID
  openssl asn1parse -in "$1" | awk -v oid="$2" '
    found && /OCTET STRING/ { sub(/.*\[HEX DUMP\]:/, ""); print; exit }
    index($0, ":" oid) { found = 1 }'
}

# Wait until the simulator reports the device ready again (after insert).
wait_ready() {
  for _ in $(seq 1 300); do ctl "$1" status 2>/dev/null | grep -q "ready=1" && return 0; sleep 0.1; done
  fail "$1 not ready again within 30 s"
}

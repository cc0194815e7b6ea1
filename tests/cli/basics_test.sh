#!/usr/bin/env bash
# CLI basics: --version, --help, selftest, and usage errors exit 2 with a message on stderr.
set -euo pipefail
kw=${KEYWARD_BIN:?KEYWARD_BIN must point at the keyward binary}
failures=0
check() { # check NAME EXPECTED_RC CMD...  (stdout -> $out, stderr -> $err)
  local name=$1 want=$2; shift 2
  set +e; out=$("$@" 2>/tmp/kw-basics-err.$$); rc=$?; set -e
  err=$(cat /tmp/kw-basics-err.$$); rm -f /tmp/kw-basics-err.$$
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want; stderr: $err"; failures=$((failures+1)); else echo "ok   $name"; fi
}

check "--version" 0 "$kw" --version
grep -q '^keyward [0-9]\+\.[0-9]\+\.[0-9]\+' <<<"$out" || { echo "FAIL version text: $out"; failures=$((failures+1)); }
grep -q 'libsodium' <<<"$out" || { echo "FAIL version names libsodium"; failures=$((failures+1)); }

check "--help" 0 "$kw" --help
grep -q 'selftest' <<<"$out" || { echo "FAIL help lists selftest"; failures=$((failures+1)); }

check "selftest" 0 "$kw" selftest
[ "$(grep -c '^ok ' <<<"$out")" -ge 15 ] || { echo "FAIL selftest ran too few checks: $out"; failures=$((failures+1)); }
grep -q FAIL <<<"$out" && { echo "FAIL selftest reported a failure"; failures=$((failures+1)); }

check "no subcommand is a usage error" 2 "$kw"
check "unknown subcommand is a usage error" 2 "$kw" no-such-command
check "unknown option is a usage error" 2 "$kw" --no-such-option selftest
[ -n "$err" ] || { echo "FAIL usage error printed nothing"; failures=$((failures+1)); }

[ "$failures" -eq 0 ] && echo "basics: all passed" || { echo "basics: $failures failure(s)"; exit 1; }

#!/usr/bin/env bash
# "No reader at all": a pcscd that has no reader (not even vpcd's), in a private mount namespace
# so the shared pcscd of the other tests is untouched. Unlock, enrolment and doctor say that no
# reader is there and what to check; nothing is printed on stdout; the vault is unchanged.
# Needs root (mount namespace, tmpfs over /run/pcscd); skipped otherwise.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
require_root "a mount namespace with a tmpfs over /run/pcscd"
require_tools unshare pcscd
unshare --mount --propagation private true 2>/dev/null ||
  skip_or_fail "mount namespaces are not available here"
reset_piv
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 enrol_piv $S1 yk-primary
h=$(sha256sum "$KEYWARD_VAULT" | cut -d' ' -f1)

mkdir -p "$TMP/no-readers"  # an empty reader.conf.d: no serial drivers (vpcd) configured
cat >"$TMP/ns.sh" <<NS
set -u
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
pcscd --foreground --config "$TMP/no-readers" --error >"$TMP/pcscd.log" 2>&1 &
pid=\$!
for _ in \$(seq 1 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
[ -S /run/pcscd/pcscd.comm ] || { echo "private pcscd did not start" >&2; kill \$pid; exit 99; }
run() { # name, command...
  local name=\$1; shift
  local rc=0
  "\$@" >"$TMP/\$name.out" 2>"$TMP/\$name.err" </dev/null || rc=\$?
  echo \$rc >"$TMP/\$name.rc"
}
run get "$KEYWARD_BIN" get dev/api/A --piv --pin-file "$PINFILE"
run add "$KEYWARD_BIN" slot add piv --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
run doctor "$KEYWARD_BIN" doctor
kill \$pid
wait \$pid 2>/dev/null
exit 0
NS
unshare --mount --propagation private bash "$TMP/ns.sh" || fail "the private pcscd did not run: $(cat "$TMP/pcscd.log" 2>/dev/null)"

expect_eq "$(cat "$TMP/get.rc")" "10"
expect_contains "$(cat "$TMP/get.err")" "no smart-card reader found"
expect_contains "$(cat "$TMP/get.err")" "journalctl -u pcscd"
expect_eq "$(cat "$TMP/get.out")" ""
expect_eq "$(cat "$TMP/add.rc")" "10"
expect_contains "$(cat "$TMP/add.err")" "no smart-card reader found"
expect_contains "$(cat "$TMP/doctor.out")$(cat "$TMP/doctor.err")" "pcscd sees no smart-card reader"
[[ $(cat "$TMP/doctor.rc") != 0 ]] || fail "doctor exit 0 with no reader"
expect_eq "$(sha256sum "$KEYWARD_VAULT" | cut -d' ' -f1)" "$h"
# The shared pcscd still serves the simulator afterwards.
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
echo "piv_no_reader: ok"

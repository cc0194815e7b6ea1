#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run keyward end to end.
# Everything happens in a throw-away directory: your real vault (~/.local/share/keyward) is not
# touched. Set KEYWARD_QUICKSTART_KEEP=1 to keep the directory afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/install-deps.sh
dir=$(./scripts/build.sh gcc | tail -n 1)
kw="$root/$dir/keyward"

demo=$(mktemp -d /tmp/keyward-quickstart.XXXXXX)
# The unlock agent this demo starts lives in the demo directory and is stopped at the end.
export KEYWARD_AGENT_SOCKET="$demo/run/agent.sock"
mkdir -m 700 "$demo/run"
cleanup() { "$kw" -q agent stop 2>/dev/null || true; [ "${KEYWARD_QUICKSTART_KEEP:-0}" = 1 ] || rm -rf "$demo"; }
trap cleanup EXIT
export XDG_DATA_HOME="$demo/data" XDG_STATE_HOME="$demo/state" KEYWARD_VAULT="$demo/data/vault.db"
unset KEYWARD_PASSPHRASE KEYWARD_IDENTITY SEALED_ENV_TOKEN

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "keyward and the libraries it runs on"
show "$kw" --version
show "$kw" -q selftest && echo "selftest: every known-answer check passed"

step "create a vault (passphrase from a file: the automation path; interactively it is asked twice, no echo)"
umask 077
head -c 24 /dev/urandom | base64 >"$demo/passphrase"
pp=(--passphrase-file "$demo/passphrase")
show "$kw" init "${pp[@]}" --kdf-memory 64

step "store secrets: values come from stdin, never from the command line"
echo '$ printf … | keyward set dev/api/STRIPE_KEY'
printf 'sk_test_%s' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" | "$kw" set dev/api/STRIPE_KEY "${pp[@]}"
echo '$ printf … | keyward set dev/api/DATABASE_URL'
printf 'postgres://app@db.internal:5432/app' | "$kw" set dev/api/DATABASE_URL "${pp[@]}"
echo '$ printf … | keyward set dev/api/SENDGRID_KEY --cloud-ref'
printf 'aws-sm://eu-west-1/dev/api/sendgrid' | "$kw" set dev/api/SENDGRID_KEY --cloud-ref "${pp[@]}"
cat >"$demo/web.env" <<'ENV'
# a .env file being migrated
export SESSION_SECRET="s3cr3t with spaces"
FEATURE_FLAGS='a,b,c'
ENV
show "$kw" import --env dev --component web "$demo/web.env" "${pp[@]}"

step "list shows coordinates, tiers and fingerprints, never values"
show "$kw" list "${pp[@]}"

step "run a command with the dev/api secrets in its environment (they exist nowhere else)"
show "$kw" run --env dev --component api "${pp[@]}" -- \
  sh -c 'echo "STRIPE_KEY is ${#STRIPE_KEY} characters, DATABASE_URL starts with ${DATABASE_URL%%:*}:"'

step "production secrets are high-tier: refused until a hardware (presence) slot is enrolled"
set +e
printf 'hunter2' | "$kw" set prod/api/DB_PASSWORD "${pp[@]}"
rc=$?
set -e
echo "(exit code $rc, nothing stored)"

step "a wrong passphrase changes nothing and says so"
echo "not the passphrase" >"$demo/wrong"
set +e
"$kw" get dev/api/STRIPE_KEY --passphrase-file "$demo/wrong"
echo "(exit code $?)"
set -e

step "vault info"
show "$kw" vault info "${pp[@]}"

step "hardware: start the device simulator (a virtual YubiKey on a real pcscd, a virtual FIDO2 key)"
# The simulator plugs in below PC/SC and libfido2: keyward runs the same code as with real devices.
sim="$root/$dir/tests/hwsim/keyward-hwsim"
hwdir="$demo/hwsim"
cleanup() {
  "$kw" -q agent stop 2>/dev/null || true
  bash "$root/tests/hwsim/fixture.sh" stop "$hwdir" >/dev/null 2>&1 || true
  [ "${KEYWARD_QUICKSTART_KEEP:-0}" = 1 ] || rm -rf "$demo"
}
# --auto-touch: the simulated user touches the device 400 ms after it starts blinking.
bash tests/hwsim/fixture.sh start "$hwdir" "$sim" --piv 0 --fido2 "$hwdir/fido0.sock" --auto-touch 400
# The simulator's attestation CA is trusted only because we say so here; real cards chain to Yubico.
export KEYWARD_PIV_TRUST_SIM_CA="$hwdir/attestation-ca.pem"
export KEYWARD_FIDO2_DEVICES="sim:$hwdir/fido0.sock"
printf '123456\n' >"$demo/pin"   # the factory PIN of the fresh simulated card
# keyward never keeps factory credentials: enrolment replaces PIN, PUK and management key (on a
# terminal it asks and reads them twice; here they come from files).
printf '%s\n' 731946 >"$demo/new-pin"
printf '%s\n' 58203174 >"$demo/new-puk"

step "enrol the YubiKey: factory PIN/PUK/management key replaced, a P-256 key generated on the card (touch always), attestation verified"
show "$kw" slot add piv --serial 20000001 --label yubikey --pin-file "$demo/pin" \
  --new-pin-file "$demo/new-pin" --new-puk-file "$demo/new-puk" "${pp[@]}" </dev/null
cp "$demo/new-pin" "$demo/pin"   # from now on the card's PIN is the new one
step "give the FIDO2 key a PIN (a key holding the high key must require user verification)"
# On a real key: `ykman fido access change-pin` or `fido2-token -S`. The simulated key is set the
# same way over CTAP2 (clientPIN setPIN, python-fido2). keyward then asks for the PIN on a
# terminal; this script passes it in the environment.
echo '$ ykman fido access change-pin   # here: clientPIN setPIN on the simulated key'
PYTHONPATH=tests/hwsim /usr/bin/python3 - "$hwdir/fido0.sock" 2468ab <<'PY'
import sys
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
ClientPin(ctap).set_pin(sys.argv[2])
conn.close()
PY
export KEYWARD_FIDO2_PIN=2468ab
step "enrol the FIDO2 key (it must also receive the high key, so unlock with the YubiKey: a touch)"
show "$kw" slot add fido2 --device "sim:$hwdir/fido0.sock" --label fido2-key \
  --piv --pin-file "$demo/pin" </dev/null
show "$kw" slot list "${pp[@]}"

step "now a production secret can be stored: it is high-tier, sealed under the high key"
echo '$ printf … | keyward set prod/api/DB_PASSWORD --piv --pin-file pin'
printf 'correct-horse-battery-staple' | setsid -w "$kw" set prod/api/DB_PASSWORD --piv --pin-file "$demo/pin"

step "unlocking never releases it: the presence gate asks for a touch per command, showing the list"
show "$kw" get prod/api/DB_PASSWORD --piv --pin-file "$demo/pin" </dev/null
echo
show "$kw" get prod/api/DB_PASSWORD --fido2 </dev/null
echo
step "unlocked by the passphrase, a high secret still needs the touch (the gate finds a device)"
show "$kw" get prod/api/DB_PASSWORD "${pp[@]}" --pin-file "$demo/pin" </dev/null
echo
step "the unlock agent: one unlock serves the session; the agent never holds the high key"
show "$kw" agent status
show "$kw" get dev/api/STRIPE_KEY </dev/null
echo
echo "(no credential given: the agent answered)"
show "$kw" get prod/api/DB_PASSWORD </dev/null
echo
echo "(the agent returned it sealed; the touch above opened it here)"

step "the audit log: every release, hash-chained and MACed under the master key"
show "$kw" audit --since 1h "${pp[@]}" | tail -n 5
show "$kw" audit --verify "${pp[@]}"

step "keyward doctor"
"$kw" doctor </dev/null || true

step ".env.sealed (SEALED-ENV-V1): seal a .env for the repository, then run a deploy with it"
mkdir -p "$demo/repo" && cd "$demo/repo"
printf 'API_KEY=cross-stack\nDB_URL=postgres://prod\n' >plain.env
echo '$ keyward sealed-env init --mode basic --from plain.env   (prints the Tier A token once)'
SEALED_ENV_TOKEN=$("$kw" sealed-env init --mode basic --from plain.env)
export SEALED_ENV_TOKEN
rm plain.env
show sed -n 1,4p .env.sealed
show "$kw" sealed-env token inspect
show "$kw" sealed-env exec -- sh -c 'echo "deploy sees API_KEY=$API_KEY"'
cd "$root"

echo
echo "quickstart: done (demo directory $demo$( [ "${KEYWARD_QUICKSTART_KEEP:-0}" = 1 ] && echo ' kept' || echo ' removed'))"

#!/usr/bin/env bash
# keyward sealed-env set / rm / edit: one value changes, with no plaintext file left anywhere
# (the editor's private tmpfs directory, the working tree, TMPDIR), a fresh nonce on every
# write, and the mode, KDF parameters, salt, CREATED and config kept.
set -uo pipefail
KW=${KEYWARD_BIN:?}
SRC=${KEYWARD_SOURCE_DIR:?}
T=$(mktemp -d)
# The editor's temp directory must be a tmpfs: a private XDG_RUNTIME_DIR under /dev/shm.
RT=$(mktemp -d /dev/shm/kw-sealed-edit-test.XXXXXX) || { echo "no /dev/shm: skipped"; exit 77; }
chmod 700 "$RT"
trap 'rm -rf "$T" "$RT"' EXIT
cd "$T"
export XDG_RUNTIME_DIR=$RT TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"; local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  stderr: /' "$T/err"; fails=$((fails+1))
  else
    echo "ok: $what"
  fi
}
unset SEALED_ENV_TOKEN SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET SEALED_ENV_UNSEAL_TOKEN SEALED_ENV_DEPLOY_TOKEN VISUAL
hdr() { grep "^$1=" .env.sealed; }
# Secret values used below; none of them may ever appear in a file outside .env.sealed.
S1=first-secret-7f3a S2=second-secret-91bc S3=edited-secret-c0de
no_plaintext_anywhere() {  # $1: label
  local hits
  hits=$(grep -rl -e "$S1" -e "$S2" -e "$S3" "$T" "$RT" 2>/dev/null | grep -v "^$T/out$\|^$T/err$")
  [ -z "$hits" ] || fail "$1: plaintext found in $hits"
  [ -z "$(ls -A "$RT")" ] || fail "$1: leftovers in the tmpfs dir: $(ls -A "$RT")"
}

mkdir repo && cd repo
expect 0 "init team" -- "$KW" -q sealed-env init --mode team --kdf scrypt
export SEALED_ENV_TOKEN=$(cat "$T/out")
cp .sealed-env.config.json config.before
salt0=$(hdr SALT) created0=$(hdr CREATED) params0=$(hdr KDF-PARAMS) nonce0=$(hdr NONCE)

# set: value from stdin, never argv
expect 0 "set API_KEY from stdin" -- "$KW" sealed-env set API_KEY <<< "$S1"
expect 0 "get API_KEY" -- "$KW" sealed-env get API_KEY
[ "$(cat "$T/out")" = "$S1" ] || fail "set value"
[ "$(hdr SALT)" = "$salt0" ] && [ "$(hdr CREATED)" = "$created0" ] && [ "$(hdr KDF-PARAMS)" = "$params0" ] \
  || fail "set kept salt, CREATED, KDF-PARAMS"
head -1 .env.sealed | grep -qx 'SEALED-ENV-V1 MODE=team' || fail "mode kept"
nonce1=$(hdr NONCE)
[ "$nonce1" != "$nonce0" ] || fail "fresh nonce on set"
cmp -s .sealed-env.config.json config.before || fail "config unchanged"
expect 0 "set DB_PASS (no trailing newline)" -- "$KW" sealed-env set DB_PASS < <(printf '%s' "$S2")
expect 0 "set API_KEY again (changed)" -- "$KW" sealed-env set API_KEY <<< "$S2"
[ "$(hdr NONCE)" != "$nonce1" ] || fail "fresh nonce on the second set"
expect 0 "get changed value" -- "$KW" sealed-env get API_KEY
[ "$(cat "$T/out")" = "$S2" ] || fail "changed value"
expect 2 "set rejects a bad key" -- sh -c "echo x | '$KW' sealed-env set 'BAD-KEY'"
expect 2 "set refuses a value on argv" -- "$KW" sealed-env set API_KEY "$S1"
grep -q "$S1" "$T/err" && fail "argv value echoed in an error"
no_plaintext_anywhere "after set"

# A deploy token can read but never write.
DTOK=$("$KW" sealed-env mint-deploy --ttl 30 2>/dev/null)
SEALED_ENV_TOKEN= SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 5 "set with a deploy token is refused" -- sh -c "echo v | '$KW' sealed-env set OTHER"

# rm
expect 0 "rm DB_PASS" -- "$KW" sealed-env rm DB_PASS
expect 6 "DB_PASS gone" -- "$KW" sealed-env get DB_PASS
expect 6 "rm of a missing key" -- "$KW" sealed-env rm DB_PASS
expect 0 "API_KEY survives rm" -- "$KW" sealed-env get API_KEY

# diff names keys only
printf 'API_KEY=%s\nNEW=1\n' "$S3" > "$T/other.env"
expect 0 "diff" -- "$KW" sealed-env diff "$T/other.env"
grep -qx '~ API_KEY' "$T/out" && grep -qx '+ NEW' "$T/out" || fail "diff output"
grep -q -e "$S2" -e "$S3" "$T/out" && fail "diff printed a value"
rm "$T/other.env"

# edit: an editor script that records where it was run and what mode the file had, then edits.
# (the new value comes from the environment, so the script itself holds no secret)
cat > "$T/ed.sh" <<ED
#!/bin/sh
echo "\$1" > "$T/ed.path"
stat -c %a "\$1" > "$T/ed.mode"
stat -f -c %T "\$(dirname "\$1")" > "$T/ed.fstype"
sed -i "s/^API_KEY=.*/API_KEY=\$NEWVAL/" "\$1"
echo '# a comment the edit keeps' >> "\$1"
ED
chmod +x "$T/ed.sh"
NEWVAL=$S3 EDITOR=$T/ed.sh expect 0 "edit changes one value" -- "$KW" sealed-env edit
case "$(cat "$T/ed.path")" in "$RT"/*) ;; *) fail "edit file not under the tmpfs XDG_RUNTIME_DIR: $(cat "$T/ed.path")";; esac
[ "$(cat "$T/ed.mode")" = 600 ] || fail "edit file mode $(cat "$T/ed.mode")"
grep -q tmpfs "$T/ed.fstype" || fail "edit dir fs type $(cat "$T/ed.fstype")"
[ -e "$(cat "$T/ed.path")" ] && fail "edit file not removed"
expect 0 "get edited value" -- "$KW" sealed-env get API_KEY
[ "$(cat "$T/out")" = "$S3" ] || fail "edited value"
expect 0 "decrypt keeps the comment" -- "$KW" sealed-env decrypt --stdout
grep -q '^# a comment the edit keeps' "$T/out" || fail "edit stored the document verbatim"
[ "$(hdr SALT)" = "$salt0" ] && [ "$(hdr CREATED)" = "$created0" ] || fail "edit kept salt and CREATED"
no_plaintext_anywhere "after edit"

# unchanged content: nothing written
before=$(cat .env.sealed)
EDITOR=true expect 0 "edit without changes" -- "$KW" sealed-env edit
[ "$(cat .env.sealed)" = "$before" ] || fail "unchanged edit rewrote the file"
grep -q 'no changes' "$T/err" || fail "unchanged edit says so"

# a parse error without a terminal: abort, nothing written
printf '#!/bin/sh\necho "A=\\"unterminated" >> "$1"\n' > "$T/bad.sh"; chmod +x "$T/bad.sh"
EDITOR=$T/bad.sh expect 3 "edit with a parse error aborts" -- setsid -w "$KW" sealed-env edit
[ "$(cat .env.sealed)" = "$before" ] || fail "aborted edit changed the file"
# the editor failing: nothing written
printf '#!/bin/sh\necho X=1 >> "$1"; exit 3\n' > "$T/fail.sh"; chmod +x "$T/fail.sh"
EDITOR=$T/fail.sh expect 18 "editor exit status 3 cancels" -- "$KW" sealed-env edit
[ "$(cat .env.sealed)" = "$before" ] || fail "failed editor changed the file"
no_plaintext_anywhere "after failed edits"

# edit refuses when the only tmpfs candidates are not tmpfs (never falls back to disk)
# (skipped when /dev/shm is itself the fallback and is a tmpfs: covered by the checks above)

# An enterprise file keeps its mode, EPOCH-COMMIT and CHALLENGE-BIND across set.
cd "$T" && mkdir ent && cd ent
export SEALED_ENV_TOKEN=$("$KW" -q sealed-env init --mode enterprise --kdf scrypt --challenge-bind)
ec=$(hdr EPOCH-COMMIT)
expect 0 "set in an enterprise file" -- "$KW" sealed-env set K <<< "$S1"
[ "$(hdr EPOCH-COMMIT)" = "$ec" ] && [ "$(hdr CHALLENGE-BIND)" = "CHALLENGE-BIND=enabled" ] || fail "enterprise fields kept"
head -1 .env.sealed | grep -qx 'SEALED-ENV-V1 MODE=enterprise' || fail "enterprise mode kept"
expect 0 "enterprise get" -- "$KW" sealed-env get K
[ "$(cat "$T/out")" = "$S1" ] || fail "enterprise value"
# The file written by set is readable by the independent Python implementation (Node HMAC rule).
/usr/bin/python3 "$SRC/tests/sealedenv/gen_own_vectors.py" verify .env.sealed "$SEALED_ENV_TOKEN" > "$T/py.out" 2>"$T/py.err" \
  && grep -qx "K=$S1" "$T/py.out" || { fail "python verify of an enterprise file after set"; cat "$T/py.err"; }
rm -f "$T/py.out"
no_plaintext_anywhere "after enterprise set"

echo "failures: $fails"
[ "$fails" = 0 ]

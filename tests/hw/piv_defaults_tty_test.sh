#!/usr/bin/env bash
# The interactive branch of the factory-credential replacement, driven through a pseudo-terminal:
# answering "no" changes nothing; "yes" asks for the new PIN and PUK twice each (no echo), a
# mismatch is refused before the card changes, then the card is enrolled and the new PIN unlocks.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
state() { /usr/bin/python3 -c "import json; print(json.load(open('$HWSIM_STATE/piv0.json'))$1)"; }
# tty_run SCRIPT CMD...: runs CMD on a new pty; SCRIPT is "expect|answer" lines; exit code of CMD.
cat >"$TMP/drive_tty.py" <<'PY'
import os, pty, select, sys, time
script = [l.split("|", 1) for l in open(sys.argv[1]).read().splitlines() if l]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
buf, seen = b"", b""
def read_until(text, timeout=30):
    global buf, seen
    end = time.time() + timeout
    while text.encode() not in buf:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            sys.exit("pty: timed out waiting for %r; output so far: %r" % (text, seen))
        try:
            data = os.read(fd, 4096)
        except OSError:
            sys.exit("pty: program ended before %r; output: %r" % (text, seen))
        buf += data
        seen += data
    buf = buf[buf.index(text.encode()) + len(text):]
for want, answer in script:
    read_until(want)
    time.sleep(0.3)  # the prompt flushes pending input (TCSAFLUSH) after printing itself
    os.write(fd, (answer + "\n").encode())
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
_, status = os.waitpid(pid, 0)
open(sys.argv[1] + ".out", "wb").write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
PY
tty_run() {
  local script=$1
  shift
  local got=0
  /usr/bin/python3 "$TMP/drive_tty.py" "$script" "$@" || got=$?
  OUT=$(cat "$script.out" 2>/dev/null || true)
  return $got
}
ENROL=("$KEYWARD_BIN" slot add piv --serial $S1 --label yk --pin-file "$PINFILE" --passphrase-file "$PASSFILE")

# "no": refused (policy), nothing changed.
printf 'Replace them now?|n\n' >"$TMP/no"
got=0; tty_run "$TMP/no" "${ENROL[@]}" || got=$?
[[ $got == 9 ]] || fail "expected exit 9 after 'no', got $got: $OUT"
expect_contains "$OUT" "nothing was changed"
expect_eq "$(state "['pin_default']")" "True"

# "yes", then the PUK typed differently twice: refused before the card changes.
printf 'Replace them now?|y\nNew PIV PIN|24681357\nRepeat the PIV PIN|24681357\nNew PIV PUK|11112222\nRepeat the PIV PUK|11113333\n' >"$TMP/mismatch"
got=0; tty_run "$TMP/mismatch" "${ENROL[@]}" || got=$?
[[ $got == 2 ]] || fail "expected exit 2 after a PUK mismatch, got $got: $OUT"
expect_contains "$OUT" "differ"
expect_eq "$(state "['pin_default']")" "True"

# "yes" with matching values: replaced and enrolled; the new PIN never echoes.
printf 'Replace them now?|y\nNew PIV PIN|24681357\nRepeat the PIV PIN|24681357\nNew PIV PUK|11112222\nRepeat the PIV PUK|11112222\n' >"$TMP/yes"
got=0; tty_run "$TMP/yes" "${ENROL[@]}" || got=$?
[[ $got == 0 ]] || fail "expected exit 0, got $got: $OUT"
expect_not_contains "$OUT" "24681357"
expect_not_contains "$OUT" "11112222"
expect_eq "$(state "['pin_default']")" "False"
expect_eq "$(state "['puk_default']")" "False"
expect_eq "$(state "['mgmt_default']")" "False"
printf '24681357\n' >"$TMP/newpin"
ctl piv0 auto-touch 20
expect_exit 0 kw get dev/api/A --piv --pin-file "$TMP/newpin"
expect_eq "$OUT" "alpha"
ctl piv0 auto-touch off
echo "piv_defaults_tty: ok"

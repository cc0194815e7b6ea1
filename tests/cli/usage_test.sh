#!/usr/bin/env bash
# Issue 18, "mistakes get help": a wrong command line says so with the `keyward:` prefix, names
# the command it is about, suggests what was probably meant, and exits 2 without touching the
# vault or asking for a credential. `keyward help [CMD]` prints the help of CMD.
. "$(dirname "$0")/lib.sh"

init_vault >/dev/null 2>&1
setv dev/api/A alpha 2>/dev/null
before=$(vault_hash)

# Unknown commands: a suggestion for a typo, the list of commands, exit 2.
expect_exit 2 kw lsit
expect_contains "$ERR" "keyward: unknown command \`lsit\`; did you mean \`keyward list\`?"
expect_contains "$ERR" "The commands: "
expect_contains "$ERR" "see \`keyward help\`"
# The hidden entry points (completion scripts, man-page build) are not offered.
expect_not_contains "$ERR" "_complete"
expect_not_contains "$ERR" "_manpage"
expect_exit 2 kw slot ad
expect_contains "$ERR" "keyward: \`keyward slot\` has no command \`ad\`; did you mean \`keyward slot add\`?"
expect_exit 2 kw unlokc
expect_contains "$ERR" "keyward: unknown command \`unlokc\`; did you mean \`keyward unlock\`?"
expect_exit 2 kw frobnicate
expect_contains "$ERR" "keyward: unknown command \`frobnicate\`"
expect_not_contains "$ERR" "did you mean"
# A command group without its command names the ones it has.
expect_exit 2 kw slot
expect_contains "$ERR" "keyward: \`keyward slot\` needs a command: "
expect_contains "$ERR" "add"
expect_exit 2 kw
expect_contains "$ERR" "keyward: \`keyward\` needs a command: "

# Unknown options: the closest one of that command (its own or a global one).
expect_exit 2 kw list --envv dev
expect_contains "$ERR" "keyward: \`keyward list\` has no option --envv; did you mean --env?"
expect_exit 2 kw get dev/api/A --qiuet
expect_contains "$ERR" "did you mean --quiet?"
expect_exit 2 kw get dev/api/A --no-such-option
expect_contains "$ERR" "keyward: \`keyward get\` has no option --no-such-option (see \`keyward help get\`)"

# A value on set's command line: where values come from instead. Nothing is stored.
expect_exit 2 kw set dev/api/X myvalue --passphrase-file "$PASSFILE"
expect_contains "$ERR" "keyward: \`keyward set\` takes the value on stdin, never as an argument"
expect_exit 6 kw get dev/api/X --passphrase-file "$PASSFILE"
# run without `--` before the command.
expect_exit 2 kw run --env dev sh -c true --passphrase-file "$PASSFILE"
expect_contains "$ERR" "keyward: put \`--\` between keyward's options and the command to run: \`keyward run [OPTIONS] -- COMMAND [ARGS...]\`"
# Other parse errors keep CLI11's text, prefixed, with the pointer to the help.
expect_exit 2 kw get
expect_contains "$ERR" "keyward: "
expect_contains "$ERR" "(see \`keyward help get\`)"

# No usage error asked for a credential or changed the vault.
[[ $(vault_hash) == "$before" ]] || fail "a usage error changed the vault"

# keyward help [CMD...]
expect_exit 0 kw help
expect_contains "$OUT" "Usage:"
expect_contains "$OUT" "list"
expect_exit 0 kw help slot add
expect_contains "$OUT" "Usage: keyward slot add [OPTIONS] type"
expect_contains "$OUT" "piv"
expect_exit 0 kw help get
expect_contains "$OUT" "Usage: keyward get"
expect_contains "$OUT" "--passphrase-file"
expect_exit 2 kw help lsit
expect_contains "$ERR" "keyward: no command \`keyward lsit\`; did you mean \`keyward list\`?"
echo "usage_test: ok"

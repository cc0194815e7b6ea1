#!/usr/bin/env bash
# `keyward run` start-up overhead for 200 secrets versus the bare command, with hyperfine.
#   bench/run_overhead.sh [path/to/keyward]
# Two unlock paths are measured: a recipient slot (X25519, what CI uses) and a passphrase slot at
# the default Argon2id parameters (t=3, m=64 MiB, p=4) — the KDF dominates the latter; the agent
# (a later issue) removes it from this path. The vault lives on tmpfs when available.
set -euo pipefail
bin=${1:-$(dirname "$0")/../build/keyward}
bin=$(realpath "$bin")
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (scripts/install-deps.sh)"; exit 77; }
command -v age-keygen >/dev/null || { echo "age-keygen is not installed"; exit 77; }
base=/tmp; [[ -w /dev/shm ]] && base=/dev/shm
dir=$(mktemp -d "$base/kwrun.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export XDG_STATE_HOME=$dir/state KEYWARD_VAULT=$dir/vault.db
age-keygen -o "$dir/id" 2>/dev/null
printf 'bench passphrase\n' >"$dir/pass"
"$bin" -q init --passphrase-file "$dir/pass" --recipient "$(age-keygen -y "$dir/id")"
for i in $(seq 1 200); do printf 'KEY_%03d=value-%03d-0123456789abcdef0123456789\n' "$i" "$i"; done >"$dir/200.env"
"$bin" -q import --env bench --component app "$dir/200.env" --passphrase-file "$dir/pass"

hyperfine -N --warmup 5 --runs ${RUNS:-50} --export-markdown "$dir/result.md" \
  -n bare "/bin/true" \
  -n "keyward run (recipient)" "$bin run --env bench --identity-file $dir/id -- /bin/true" \
  -n "keyward run (passphrase, default Argon2id)" "$bin run --env bench --passphrase-file $dir/pass -- /bin/true"
cat "$dir/result.md"

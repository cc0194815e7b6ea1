#!/usr/bin/env bash
# `keyward run` start-up overhead for 200 secrets, with hyperfine:
#   bench/run_overhead.sh [path/to/keyward]
# Measured side by side:
#   - `/bin/true` alone (the exec floor);
#   - `keyward --version` (keyward's own process start-up: loader, libraries, CLI setup);
#   - `keyward run --env bench -- /bin/true` through a warm unlock agent, no credential given
#     (one round trip on the agent socket, no KDF in the client);
#   - the same with a direct unlock: a recipient slot (X25519, what CI uses) and a passphrase slot
#     at the default Argon2id parameters (t=3, m=64 MiB, p=4; the KDF dominates);
#   - `dotenvx run` (npm @dotenvx/dotenvx) on the same 200 keys in an encrypted .env
#     (`dotenvx encrypt`); installed into bench/node_modules (not committed) when npm is there.
# Prints the table, the ratios and the absolute overhead over /bin/true (target: under 2 ms).
# The vault lives on tmpfs when available. RUNS (default 50) sets the number of runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/keyward}
bin=$(realpath "$bin")
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (scripts/install-deps.sh)"; exit 77; }
command -v age-keygen >/dev/null || { echo "age-keygen is not installed"; exit 77; }
base=/tmp; [[ -w /dev/shm ]] && base=/dev/shm
dir=$(mktemp -d "$base/kwrun.XXXXXX")
export XDG_STATE_HOME=$dir/state KEYWARD_VAULT=$dir/vault.db XDG_RUNTIME_DIR=$dir/run
unset KEYWARD_PASSPHRASE KEYWARD_IDENTITY KEYWARD_NO_AGENT KEYWARD_AGENT_SOCKET
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap '"$bin" -q agent stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
age-keygen -o "$dir/id" 2>/dev/null
printf 'bench passphrase\n' >"$dir/pass"
"$bin" -q --no-agent init --passphrase-file "$dir/pass" --recipient "$(age-keygen -y "$dir/id")"
for i in $(seq 1 200); do printf 'KEY_%03d=value-%03d-0123456789abcdef0123456789\n' "$i" "$i"; done >"$dir/200.env"
"$bin" -q --no-agent import --env bench --component app "$dir/200.env" --passphrase-file "$dir/pass"

# A warm agent: unlock once (the master key is handed over), then no credential is needed.
"$bin" -q agent start
"$bin" -q list --identity-file "$dir/id" >/dev/null
[[ $("$bin" run --env bench -- sh -c 'printf %s "$KEY_200"') == value-200-0123456789abcdef0123456789 ]] ||
  { echo "the warm agent did not serve the environment"; exit 1; }

cmds=(-n bare "/bin/true"
      -n "keyward --version" "$bin --version"
      -n "keyward run (warm agent)" "$bin run --env bench -- /bin/true"
      -n "keyward run (recipient, no agent)" "$bin --no-agent run --env bench --identity-file $dir/id -- /bin/true"
      -n "keyward run (passphrase, default Argon2id, no agent)" "$bin --no-agent run --env bench --passphrase-file $dir/pass -- /bin/true")
hyperfine -N --warmup 5 --runs "${RUNS:-50}" --export-json "$dir/keyward.json" \
  --export-markdown "$dir/keyward.md" "${cmds[@]}"

dotenvx=$here/node_modules/.bin/dotenvx
if [[ ! -x $dotenvx ]] && command -v npm >/dev/null; then
  npm install --no-save --no-audit --no-fund --prefix "$here" @dotenvx/dotenvx >/dev/null 2>&1 || true
fi
if [[ -x $dotenvx ]]; then
  mkdir "$dir/dx"
  cp "$dir/200.env" "$dir/dx/.env"
  (cd "$dir/dx" && "$dotenvx" encrypt -f .env >/dev/null 2>&1)
  grep -q 'encrypted:' "$dir/dx/.env" || { echo "dotenvx encrypt did not encrypt"; exit 1; }
  export DOTENV_PRIVATE_KEY=$(sed -n 's/^DOTENV_PRIVATE_KEY="\{0,1\}\([0-9a-f]*\)"\{0,1\}$/\1/p' "$dir/dx/.env.keys")
  [[ $(cd "$dir/dx" && "$dotenvx" run -q -f .env -- sh -c 'printf %s "$KEY_200"') == value-200-0123456789abcdef0123456789 ]] ||
    { echo "dotenvx run did not decrypt"; exit 1; }
  hyperfine -N --warmup 1 --runs "${DOTENVX_RUNS:-10}" --export-json "$dir/dotenvx.json" \
    --export-markdown "$dir/dotenvx.md" -n "dotenvx run (200 encrypted keys)" \
    "$dotenvx run -q -f $dir/dx/.env -- /bin/true"
else
  echo "dotenvx not available (npm install @dotenvx/dotenvx into bench/node_modules); skipped"
fi

cat "$dir/keyward.md"
[[ -f $dir/dotenvx.md ]] && tail -n 1 "$dir/dotenvx.md"
python3 - "$dir/keyward.json" "$dir/dotenvx.json" <<'PY'
import json, os, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
if os.path.exists(sys.argv[2]):
    res.update({r["command"]: r for r in json.load(open(sys.argv[2]))["results"]})
def ms(name, key="mean"): return res[name][key] * 1000
bare, agent = "bare", "keyward run (warm agent)"
print()
print("keyward run (warm agent): mean %.2f ms, median %.2f ms, min %.2f ms" % (ms(agent), ms(agent, "median"), ms(agent, "min")))
print("overhead over /bin/true: mean %.2f ms, median %.2f ms, min %.2f ms (target < 2 ms)"
      % (ms(agent) - ms(bare), ms(agent, "median") - ms(bare, "median"), ms(agent, "min") - ms(bare, "min")))
print("keyward process start-up alone (--version over /bin/true): median %.2f ms"
      % (ms("keyward --version", "median") - ms(bare, "median")))
print("ratio keyward run (agent) / bare: %.1fx (median)" % (ms(agent, "median") / ms(bare, "median")))
dx = "dotenvx run (200 encrypted keys)"
if dx in res:
    print("dotenvx run: median %.1f ms; ratio dotenvx / keyward run (agent): %.0fx; dotenvx / bare: %.0fx"
          % (ms(dx, "median"), ms(dx, "median") / ms(agent, "median"), ms(dx, "median") / ms(bare, "median")))
PY

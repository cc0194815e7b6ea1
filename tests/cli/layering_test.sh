#!/usr/bin/env bash
# The layers of docs/architecture.md, checked on every #include of the sources: core includes
# no hw/, cli/ or agent/ header; hw includes no cli/ header; agent includes no cli/ or hw/
# header; core includes no net/ (network clients) or hiredis header (core links no network
# client: the Redis replay cache in src/net implements core's interface); src/cli uses no raw
# device class and nothing installs a process-wide device adapter; the secret commands speak
# only to core's Access (no agent/direct branch), and the agent server holds no rule of its own
# (it calls core/access/serve.h). A violation names the file and line.
set -euo pipefail
SRC=${KEYWARD_SOURCE_DIR:?}/src
bad=0
check() {  # check LAYER FORBIDDEN...
  local layer=$1
  shift
  for dep in "$@"; do
    while IFS= read -r hit; do
      echo "layering: $hit (src/$layer must not include $dep/)" >&2
      bad=1
    done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]$dep/" "$SRC/$layer" || true)
  done
}
check core hw cli agent net hiredis
check hw cli agent net
check agent cli hw
check net cli hw agent
# Device code is in src/hw (issue 12): the CLI reaches cards and authenticators only through the
# adapters (agents, session, enrolment, identities, inventory), never the raw device classes;
# core keeps no process-wide device adapter.
while IFS= read -r hit; do
  echo "layering: $hit (src/cli talks to devices only through src/hw's adapters)" >&2
  bad=1
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"hw/(piv_card|fido2_device)\.h"|PivCard::connect|Fido2Device::open' "$SRC/cli" || true)
while IFS= read -r hit; do
  echo "layering: $hit (device adapters are passed explicitly, vault::Devices)" >&2
  bad=1
done < <(grep -rnE 'set_(piv_key|fido2)_agent|std::atomic<(PivKeyAgent|Fido2Agent)' "$SRC" || true)
# One vault API (issue 13): the secret commands use access::Access (cli/agent_access.h
# open_access) and never choose between the agent and a direct unlock themselves.
for cmd in get set rm list import export run package; do
  while IFS= read -r hit; do
    echo "layering: src/cli/cmd_$cmd.cpp:$hit (a secret command uses open_access, not the agent or open_vault)" >&2
    bad=1
  done < <(grep -nE 'agent::|open_vault|agent_enabled|credential_given|vault_gate|audited\(|audit_event\(' "$SRC/cli/cmd_$cmd.cpp" || true)
done
# The agent server is a transport: no policy, gate or audit-entry code of its own.
while IFS= read -r hit; do
  echo "layering: src/agent/server.cpp:$hit (the agent's rules are core's: core/access/serve.h)" >&2
  bad=1
done < <(grep -nE 'grant_needed|policy::|audit::Event|get_split|read_env_(split|packed)|\.set\(items|\.remove\(' "$SRC/agent/server.cpp" || true)
# The check itself works: a planted violation is found.
PLANT=$(mktemp -d)
trap 'rm -rf "$PLANT"' EXIT
mkdir -p "$PLANT/core"
printf '#include "cli/cli.h"\n' >"$PLANT/core/x.cpp"
grep -rqE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]cli/' "$PLANT/core" || { echo "layering: the check finds nothing" >&2; exit 1; }
[[ $bad == 0 ]] || exit 1
echo "layering: ok"

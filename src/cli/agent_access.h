// How vault commands use the unlock agent (docs/agent.md). A command first asks the agent (unless
// the agent is disabled or the user named a credential on the command line); if the agent is not
// running, does not hold the vault, or fails, the command unlocks directly with the usual options
// (prompt, files, environment, PIV, FIDO2), and the directly unlocked vault's master key is then
// handed to the agent (started on demand). The agent is disabled by --no-agent or
// KEYWARD_NO_AGENT=1; KEYWARD_AGENT_AUTOSTART=0 uses a running agent but never starts one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/access/access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {

bool agent_enabled(const Context& ctx);
// A credential option on the command line (--passphrase-file, --identity-file,
// --recovery-code-file, --piv, --fido2): the command unlocks directly.
bool credential_given(const UnlockOptions& o);

// The vault access of a secret command (core/access/access.h): through the unlock agent when it
// is enabled and no credential was named (agent::AgentAccess, which unlocks directly when the
// agent cannot serve a request), else a direct unlock (access::Direct). Commands never ask
// which one they got. `audited_unlock` false (audit): a direct unlock writes no "unlock" entry
// and is not handed to the agent (nothing is appended before the log is verified).
Result<std::unique_ptr<access::Access>> open_access(const Context& ctx, const UnlockOptions& o,
                                                    bool audited_unlock = true);

// Gives an unlocked vault's master key (never the high key) to the agent, starting it first when
// `autostart` and none runs (KEYWARD_AGENT_IDLE_TTL / KEYWARD_AGENT_MAX_TTL set its limits).
Status give_to_agent(const Context& ctx, const vault::Vault& v, bool autostart);
// After a direct unlock: give_to_agent when the agent is enabled (started on demand unless
// KEYWARD_AGENT_AUTOSTART=0). Never fails the command; problems are said on stderr.
void hand_to_agent(const Context& ctx, const vault::Vault& v);

// Starts `keyward agent start --foreground` detached and waits until it answers. Returns its pid.
Result<std::uint64_t> start_agent(const std::string& socket, std::uint64_t idle_s, std::uint64_t max_s);

}  // namespace keyward::cli

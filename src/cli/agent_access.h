// How vault commands use the unlock agent (docs/agent.md). A command first asks the agent (unless
// the agent is disabled or the user named a credential on the command line); if the agent is not
// running, does not hold the vault, or fails, the command unlocks directly with the usual options
// (prompt, files, environment, PIV, FIDO2), and the directly unlocked vault's master key is then
// handed to the agent (started on demand). The agent is disabled by --no-agent or
// KEYWARD_NO_AGENT=1; KEYWARD_AGENT_AUTOSTART=0 uses a running agent but never starts one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/proto.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {

bool agent_enabled(const Context& ctx);
// A credential option on the command line (--passphrase-file, --identity-file,
// --recovery-code-file, --piv, --fido2): the command unlocks directly.
bool credential_given(const UnlockOptions& o);

// Sends req (req.vault is filled with the vault's absolute path). nullopt: unlock directly (the
// agent is off, not running, does not hold the vault, or failed; a failure is said on stderr).
// An error the agent reports about the request itself (no such secret, tampering) is returned.
Result<std::optional<agent::Response>> ask_agent(const Context& ctx, const UnlockOptions& o,
                                                 agent::Request& req);

// After a direct unlock: gives the vault's master key (never the high key) to the agent, starting
// it if needed. Never fails the command; problems are said on stderr.
void hand_to_agent(const Context& ctx, const vault::Vault& v);

// Starts `keyward agent start --foreground` detached and waits until it answers. Returns its pid.
Result<std::uint64_t> start_agent(const std::string& socket, std::uint64_t idle_s, std::uint64_t max_s);

// High records the agent returned sealed: one presence gate for the whole displayed list, then
// each row opened here with the released high key (which never reaches the agent).
// `also`: the normal records the command receives too, listed in the prompt.
Result<std::vector<vault::Record>> open_sealed_high(const Context& ctx, const std::string& vault,
                                                    const std::string& purpose,
                                                    const agent::HighWire& high,
                                                    const std::vector<std::string>& also = {});

// A record of an agent response: coordinate and a view of its value in the response's secret.
struct ValueView {
  const vault::RecordMeta* meta;
  ByteView value;
};
std::vector<ValueView> record_views(const agent::Response& r);

}  // namespace keyward::cli

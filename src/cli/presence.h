// The CLI side of the presence gate (core/gate/gate.h): fills the request with the requesting
// process, shows the user what a touch will release (the explicit list of coordinates), makes
// the hardware agents (PIV over PC/SC, FIDO2 over libfido2) available to core, and runs the gate.
// Every command that releases high records, and every operation that needs `verify`, goes
// through here, in the direct path and in the agent path alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/access/access.h"
#include "core/gate/gate.h"
#include "core/vault/vault.h"

namespace keyward::cli {

// The CLI's Presence (core/access/access.h): the gate through the command's devices, notices on
// stderr. One per process.
access::Presence& terminal_presence();

// Runs the gate for one command. The device prompt (printed by the FIDO2/PIV agents in
// cli/hw_*.cpp, on stderr, even with -q) reads:
//   keyward: touch your <device> to release N high secret(s) for `<command line>`
//            (parent: <process>, terminal: <tty>):
//       <coordinate>
//       ...
// `prefer_slot`: the slot used to unlock, tried first when it is presence-capable.
Result<gate::Grant> presence_gate(const Context& ctx, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots,
                                  std::uint32_t prefer_slot = 0,
                                  const std::vector<std::string>& also = {});

// The direct path: a grant for an unlocked vault. After a recovery-code unlock the code itself
// is the grant (it unwraps the high key without a device; the list is still shown); otherwise
// presence_gate over the vault's slots.
// `also`: the normal records the command receives as well, listed in the prompt after the gated
// ones (`run` shows every variable its command will get).
Result<gate::Grant> vault_gate(const Context& ctx, vault::Vault& v, const std::string& purpose,
                               const std::vector<std::string>& coordinates, gate::Level level,
                               const std::vector<std::string>& also = {});

// A FIDO2 slot that holds the high key although its authenticator does not require user
// verification (vault::fido2_legacy_high): the problem and its fix in one sentence, for
// `slot list`, `vault info` and `doctor`.
std::string legacy_high_problem(const vault::Slot& s);
// Which of the slots have that problem.
std::vector<std::uint32_t> legacy_high_slots(const std::vector<vault::Slot>& slots);

}  // namespace keyward::cli

// The CLI side of the presence gate (core/gate/gate.h): fills the request with the requesting
// process, shows the user what a touch will release (the explicit list of coordinates), makes
// the hardware agents (PIV over PC/SC, FIDO2 over libfido2) available to core, and runs the gate.
// Every command that releases high records, and every operation that needs `verify`, goes
// through here, in the direct path and in the agent path alike.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/gate/gate.h"

namespace keyward::cli {

Result<gate::Grant> presence_gate(const Context& ctx, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots);

}  // namespace keyward::cli

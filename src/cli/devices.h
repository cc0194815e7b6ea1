// The device adapters of the running command (one command per process): the terminal
// Interaction (PINs from --pin-file / --fido2-pin-file / KEYWARD_*_PIN / a no-echo prompt,
// notices on stderr), one PIV session, the PIV and FIDO2 agents of src/hw. Made on first use and
// handed to core explicitly (vault::Devices in the credential and to gate::pass); core keeps
// no device state of its own.
#pragma once

#include <string>

#include "cli/cli.h"
#include "cli/hw_piv.h"
#include "core/interaction.h"
#include "core/vault/slot.h"

namespace keyward::hw {
class PivSession;
}

namespace keyward::cli {

// The PIV options of the running command (PIN file, last try) and quiet mode; called by
// open_vault before anything talks to a device. Without it the defaults apply (environment
// variables and the terminal).
void configure_devices(const Context& ctx, const PivUnlockOptions& piv);
// Enrolment's new PIV PIN / PUK files (empty: asked twice on the terminal).
void set_new_piv_secret_files(const std::string& pin_file, const std::string& puk_file);

// The adapters, for a vault shown as `vault_label` in prompts (the first call names it).
vault::Devices command_devices(const std::string& vault_label);
hw::PivSession& piv_session();
Interaction& terminal();

// After a failed unlock by a PIV or FIDO2 credential: the most useful error the agent saw.
Error device_unlock_error(vault::SlotType type, const Error& original);
// The device that answered the unlock ("" if none), for `slot list`'s "last used".
std::string device_answered(vault::SlotType type);

}  // namespace keyward::cli

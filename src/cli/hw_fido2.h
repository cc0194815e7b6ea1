// FIDO2 options of the CLI: unlock options, the options of `keyward slot add fido2` (the
// device work is src/hw/fido2_enrol.cpp and src/hw/fido2_agent.cpp) and the slot's description
// for `slot list`. Devices: --device PATH / KEYWARD_FIDO2_DEVICES (comma-separated hidraw paths
// or sim:/socket), else every authenticator libfido2 finds.
#pragma once

#include <functional>

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/vault/slot_fido2.h"

namespace keyward::cli {

struct Fido2UnlockOptions {
  bool fido2 = false;    // --fido2 (or KEYWARD_UNLOCK=fido2)
  std::string pin_file;  // --fido2-pin-file (or KEYWARD_FIDO2_PIN): only for UV-required slots
};
// The options are stored in this module (one command runs per process).
void add_fido2_unlock_options(CLI::App* cmd);
bool fido2_unlock_requested();
// True only for the --fido2 flag itself (not KEYWARD_UNLOCK=fido2).
bool fido2_flag_given();
// --fido2-pin-file of the running command ("" if not given).
const std::string& fido2_pin_file();

void add_fido2_enrol_options(CLI::App* cmd);
// Whether the slot `--uv` asks for may hold the high key (uv required).
bool fido2_enrol_may_hold_high();
// Enrols the authenticator and hands the slot to `commit` (the vault's add_slot).
Status enrol_fido2_slot(const Context& ctx, const std::string& label, const vault::VaultId& vid,
                        const std::function<Status(vault::Slot)>& commit);
std::string fido2_slot_description(const vault::Slot& s);
void add_fido2_slot_json(const vault::Slot& s, nlohmann::json& j);

}  // namespace keyward::cli

// PIV (YubiKey) options of the CLI: unlock options, the options of `keyward slot add piv`
// (turned into hw::PivEnrolOptions; the card work is src/hw/piv_enrol.cpp) and the slot's
// description for `slot list`. The device code itself is in src/hw (piv_session, piv_agent).
#pragma once

#include <functional>

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/secret.h"
#include "core/vault/slot_piv.h"

namespace keyward::cli {

struct PivUnlockOptions {
  bool piv = false;              // --piv (or KEYWARD_UNLOCK=piv)
  std::string pin_file;          // --pin-file (or KEYWARD_PIV_PIN)
  bool allow_last_try = false;   // --allow-last-pin-try
};
void add_piv_unlock_options(CLI::App* cmd, PivUnlockOptions& o);
// True when the user asked to unlock with a PIV slot.
bool piv_unlock_requested(const PivUnlockOptions& o);
struct PivEnrolOptions {
  std::uint32_t serial = 0;
  std::string key_ref;          // "82".."95", "9d"; empty: first free retired slot
  std::string touch = "always";
  std::string pin_policy = "once";
  std::string management_key_file;  // hex; absent: the card must not use the default key
  std::string trust_ca;             // PEM root(s) for the attestation
  std::string new_pin_file;         // --new-pin-file: replaces a default PIN (automation)
  std::string new_puk_file;         // --new-puk-file: replaces a default PUK (automation)
  bool allow_defaults = false;      // --allow-default-pin (tests only)
  bool skip_attestation = false;
  bool adopt = false;               // use the key already in key_ref
};
void add_piv_enrol_options(CLI::App* cmd, PivEnrolOptions& o);
// Whether the slot these options enrol may hold the high key (touch=always, or an adopted key
// whose policy the card tells only later): the gate is passed before the card is changed.
bool piv_enrol_may_hold_high(const PivEnrolOptions& o);
// Enrols the card and hands the slot to `commit` (the vault's add_slot); see hw/piv_enrol.h
// for what a failure after a card change undoes.
Status enrol_piv_slot(const Context& ctx, const PivEnrolOptions& o, const PivUnlockOptions& pin,
                      const std::string& label, const vault::VaultId& vid,
                      const std::function<Status(vault::Slot)>& commit);

// For `slot list`: "YubiKey 20000001 key 82 touch=always pin=once attestation=verified", and
// the same facts as JSON fields. Empty / unchanged for other slot types.
std::string piv_slot_description(const vault::Slot& s);
void add_piv_slot_json(const vault::Slot& s, nlohmann::json& j);

}  // namespace keyward::cli

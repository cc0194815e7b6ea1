#include "cli/hw_fido2.h"

#include <cstdlib>

#include "cli/devices.h"
#include "cli/slot_usage.h"
#include "hw/fido2_enrol.h"

namespace keyward::cli {
namespace {

struct Fido2EnrolOptions {
  std::string device;
  std::string uv = "required";
};

Fido2UnlockOptions g_unlock;
Fido2EnrolOptions g_enrol;

}  // namespace

void add_fido2_unlock_options(CLI::App* cmd) {
  Fido2UnlockOptions& o = g_unlock;
  cmd->add_flag("--fido2", o.fido2, "Unlock with a FIDO2 slot; also KEYWARD_UNLOCK=fido2");
  cmd->add_option("--fido2-pin-file", o.pin_file,
                  "Read the FIDO2 PIN from FILE (UV-required slots; also KEYWARD_FIDO2_PIN)");
}

bool fido2_unlock_requested() {
  if (g_unlock.fido2) return true;
  const char* u = std::getenv("KEYWARD_UNLOCK");
  return u != nullptr && std::string_view(u) == "fido2";
}

bool fido2_flag_given() { return g_unlock.fido2; }

const std::string& fido2_pin_file() { return g_unlock.pin_file; }

void add_fido2_enrol_options(CLI::App* cmd) {
  Fido2EnrolOptions& o = g_enrol;
  cmd->add_option("--device", o.device, "FIDO2: hidraw path or sim:/socket (default: the only key)");
  cmd->add_option("--uv", o.uv, "FIDO2: user verification required (default; the slot can hold the high key) | "
                  "discouraged (unlock-only)");
}

bool fido2_enrol_may_hold_high() { return g_enrol.uv == "required"; }

Status enrol_fido2_slot(const Context& ctx, const std::string& label, const vault::VaultId& vid,
                        const std::function<Status(vault::Slot)>& commit) {
  hw::Fido2EnrolOptions o;
  o.device = g_enrol.device;
  if (g_enrol.uv == "required") {
    o.uv = vault::Fido2Uv::required;
  } else if (g_enrol.uv == "discouraged") {
    o.uv = vault::Fido2Uv::discouraged;
  } else if (g_enrol.uv == "preferred") {
    o.uv = vault::Fido2Uv::preferred;  // refused by the enrolment, with the reason
  } else {
    return fail(Errc::invalid_argument, "--uv must be required or discouraged");
  }
  (void)ctx;  // quiet mode and the PIN file were configured when the vault was opened
  KW_TRY(auto enrolled, hw::enrol_fido2_slot(terminal(), o, label, vid, commit));
  note_slot_device(enrolled.device);
  return ok();
}

std::string fido2_slot_description(const vault::Slot& s) {
  if (s.type != vault::SlotType::fido2) return {};
  auto c = vault::fido2_cred_info(s);
  if (!c) return "(unreadable FIDO2 parameters)";
  return "rp " + c->rp_id + " uv=" + std::string(vault::fido2_uv_name(c->uv)) +
         " credProtect=" + std::to_string(c->cred_protect);
}

void add_fido2_slot_json(const vault::Slot& s, nlohmann::json& j) {
  if (s.type != vault::SlotType::fido2) return;
  auto c = vault::fido2_cred_info(s);
  if (!c) return;
  j["rp_id"] = c->rp_id;
  j["uv"] = vault::fido2_uv_name(c->uv);
  j["cred_protect"] = c->cred_protect;
}

}  // namespace keyward::cli

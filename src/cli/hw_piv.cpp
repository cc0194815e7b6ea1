#include "cli/hw_piv.h"

#include <cstdio>
#include <cstdlib>

#include "cli/devices.h"
#include "cli/prompt.h"
#include "cli/slot_usage.h"
#include "core/hex.h"
#include "hw/piv_enrol.h"

namespace keyward::cli {
namespace {

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}


Result<std::uint8_t> parse_key_ref(const std::string& text) {
  unsigned long v = 0;
  try {
    std::size_t used = 0;
    v = std::stoul(text, &used, 16);
    if (used != text.size()) v = 0;
  } catch (...) {
    v = 0;
  }
  if (v > 0xff || !vault::valid_piv_key_ref(static_cast<std::uint8_t>(v))) {
    return fail(Errc::invalid_argument, "--piv-slot must be 82..95 or 9d (hex), got '" + text + "'");
  }
  return static_cast<std::uint8_t>(v);
}

}  // namespace

void add_piv_unlock_options(CLI::App* cmd, PivUnlockOptions& o) {
  cmd->add_flag("--piv", o.piv, "Unlock with a PIV slot (YubiKey); also KEYWARD_UNLOCK=piv");
  cmd->add_option("--pin-file", o.pin_file,
                  "Read the PIV PIN from FILE (automation; also KEYWARD_PIV_PIN)");
  cmd->add_flag("--allow-last-pin-try", o.allow_last_try,
                "Allow spending the last PIV PIN try (a wrong PIN then blocks the card)");
}

bool piv_unlock_requested(const PivUnlockOptions& o) {
  if (o.piv) return true;
  const char* u = std::getenv("KEYWARD_UNLOCK");
  return u != nullptr && std::string_view(u) == "piv";
}

std::string piv_slot_description(const vault::Slot& s) {
  if (s.type != vault::SlotType::piv) return {};
  auto i = vault::piv_key_info(s);
  if (!i) return "(unreadable PIV parameters)";
  return "YubiKey " + std::to_string(i->serial) + " key " + hex2(i->key_ref) +
         " touch=" + std::string(vault::piv_touch_policy_name(i->touch)) +
         " pin=" + std::string(vault::piv_pin_policy_name(i->pin)) +
         " attestation=" + std::string(vault::piv_attestation_name(i->attestation));
}

void add_piv_slot_json(const vault::Slot& s, nlohmann::json& j) {
  if (s.type != vault::SlotType::piv) return;
  auto i = vault::piv_key_info(s);
  if (!i) return;
  j["serial"] = i->serial;
  j["piv_slot"] = hex2(i->key_ref);
  j["touch_policy"] = vault::piv_touch_policy_name(i->touch);
  j["pin_policy"] = vault::piv_pin_policy_name(i->pin);
  j["attestation"] = vault::piv_attestation_name(i->attestation);
}

void add_piv_enrol_options(CLI::App* cmd, PivEnrolOptions& o) {
  cmd->add_option("--serial", o.serial, "PIV: serial of the YubiKey to enrol (default: the only one)");
  cmd->add_option("--piv-slot", o.key_ref, "PIV: key slot 82..95 or 9d (default: first free 82..95)");
  cmd->add_option("--touch", o.touch, "PIV: touch policy always|cached|never (default always)");
  cmd->add_option("--pin-policy", o.pin_policy, "PIV: PIN policy once|always|never (default once)");
  cmd->add_option("--management-key-file", o.management_key_file,
                  "PIV: file with the card's management key in hex (3DES or AES-192: 48 digits, "
                  "AES-128: 32, AES-256: 64; the algorithm is read from the card)");
  cmd->add_option("--trust-ca", o.trust_ca,
                  "PIV: PEM file of attestation root(s) to trust (also KEYWARD_PIV_TRUST_CA; "
                  "the simulator's CA only via KEYWARD_PIV_TRUST_SIM_CA)");
  cmd->add_option("--new-pin-file", o.new_pin_file,
                  "PIV: new PIN (6-8 characters) from FILE, replacing the factory PIN at "
                  "enrolment (otherwise asked on the terminal)");
  cmd->add_option("--new-puk-file", o.new_puk_file,
                  "PIV: new PUK from FILE, replacing the factory PUK at enrolment");
  cmd->add_flag("--allow-default-pin", o.allow_defaults,
                "PIV: accept a card that still uses the default PIN and management key (tests)");
  cmd->add_flag("--adopt", o.adopt,
                "PIV: use the P-256 key already in --piv-slot instead of generating one");
  cmd->add_flag("--skip-attestation", o.skip_attestation,
                "PIV: enrol without verifying the attestation (recorded as unverified)");
}

bool piv_enrol_may_hold_high(const PivEnrolOptions& o) { return o.adopt || o.touch == "always"; }

Status enrol_piv_slot(const Context& ctx, const PivEnrolOptions& o, const PivUnlockOptions& pin_opts,
                      const std::string& label, const vault::VaultId& vid,
                      const std::function<Status(vault::Slot)>& commit) {
  hw::PivEnrolOptions h;
  h.serial = o.serial;
  if (o.touch == "always") h.touch = vault::PivTouchPolicy::always;
  else if (o.touch == "cached") h.touch = vault::PivTouchPolicy::cached;
  else if (o.touch == "never") h.touch = vault::PivTouchPolicy::never;
  else return fail(Errc::invalid_argument, "--touch must be always, cached or never");
  if (o.pin_policy == "once") h.pin = vault::PivPinPolicy::once;
  else if (o.pin_policy == "always") h.pin = vault::PivPinPolicy::always;
  else if (o.pin_policy == "never") h.pin = vault::PivPinPolicy::never;
  else return fail(Errc::invalid_argument, "--pin-policy must be once, always or never");
  if (!o.key_ref.empty()) {
    KW_TRY(h.key_ref, parse_key_ref(o.key_ref));
  }
  // Trust store for the attestation: --trust-ca, KEYWARD_PIV_TRUST_CA, else (tests, the
  // quickstart) the simulator's CA named by KEYWARD_PIV_TRUST_SIM_CA.
  h.trust_ca = o.trust_ca;
  if (h.trust_ca.empty()) {
    if (const char* t = std::getenv("KEYWARD_PIV_TRUST_CA"); t && t[0]) h.trust_ca = t;
  }
  if (h.trust_ca.empty()) {
    if (const char* t = std::getenv("KEYWARD_PIV_TRUST_SIM_CA"); t && t[0]) {
      h.trust_ca = t;
      h.trust_is_simulator = true;
    }
  }
  if (!o.management_key_file.empty()) {
    KW_TRY(auto text, read_secret_file(o.management_key_file));
    auto decoded = encoding::hex_decode(text.reveal_string());
    if (!decoded || (decoded->size() != 16 && decoded->size() != 24 && decoded->size() != 32)) {
      if (decoded) secure_wipe(decoded->data(), decoded->size());
      return fail(Errc::malformed, "the management key file must hold 32, 48 or 64 hex digits "
                                   "(AES-128; 3DES or AES-192; AES-256)");
    }
    h.management_key = SecretBytes::copy_of(*decoded);
    secure_wipe(decoded->data(), decoded->size());
  }
  h.new_pin_given = !o.new_pin_file.empty();
  h.new_puk_given = !o.new_puk_file.empty();
  h.allow_defaults = o.allow_defaults;
  h.skip_attestation = o.skip_attestation;
  h.adopt = o.adopt;
  configure_devices(ctx, pin_opts);
  set_new_piv_secret_files(o.new_pin_file, o.new_puk_file);
  KW_TRY(auto enrolled, hw::enrol_piv_slot(piv_session(), h, label, vid, commit));
  note_slot_device(enrolled.device);
  return ok();
}

}  // namespace keyward::cli

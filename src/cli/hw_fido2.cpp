#include "cli/hw_fido2.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "cli/prompt.h"
#include "core/random.h"
#include "cli/slot_usage.h"
#include "hw/fido2_device.h"

namespace keyward::cli {
namespace {

constexpr const char* kRpId = "keyward.vault";

std::vector<std::string> device_paths(const std::string& explicit_path) {
  if (!explicit_path.empty()) return {explicit_path};
  std::vector<std::string> out;
  if (const char* e = std::getenv("KEYWARD_FIDO2_DEVICES"); e != nullptr && e[0] != '\0') {
    std::string s(e);
    std::size_t pos = 0;
    while (pos <= s.size()) {
      auto comma = s.find(',', pos);
      std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return out;
  }
  return hw::fido2_hid_devices();
}

// The FIDO2 PIN, only for UV-required credentials: --fido2-pin-file, KEYWARD_FIDO2_PIN, prompt.
Result<SecretBytes> fido2_pin(const Fido2UnlockOptions& o, const std::string& device) {
  if (!o.pin_file.empty()) return read_secret_file(o.pin_file);
  if (const char* p = std::getenv("KEYWARD_FIDO2_PIN"); p != nullptr && p[0] != '\0') {
    return SecretBytes::copy_of(std::string_view(p));
  }
  if (!have_tty()) {
    return fail(Errc::invalid_argument, "this FIDO2 slot requires user verification: give the "
                                        "FIDO2 PIN of " + device + " with --fido2-pin-file or "
                                        "KEYWARD_FIDO2_PIN");
  }
  return prompt_secret("FIDO2 PIN for " + device + " (not the PIV PIN): ");
}

// A credProtect-3 credential is invisible without UV, so the silent (up=false, no UV) probe
// cannot find it: every device is asked in turn (a wrong device answers "no credentials" after
// the PIN, before any touch).
bool probe_possible(const vault::Fido2CredInfo& cred) { return cred.cred_protect != 3; }

// With several devices: whether `d` may hold the credential, asked without a touch. A
// credProtect-3 credential only lives on a key with a PIN or a fingerprint (a reset wipes both).
bool could_hold(hw::Fido2Device& d, const vault::Fido2CredInfo& cred) {
  if (!probe_possible(cred)) return d.pin_set() || d.builtin_uv();
  auto has = d.has_credential(cred);
  return has && *has;
}

class CliFido2Agent final : public vault::Fido2Agent {
 public:
  CliFido2Agent(Fido2UnlockOptions o, std::string vault_name)
      : opts_(std::move(o)), vault_(std::move(vault_name)) {}

  Result<vault::Fido2Assertion> get_assertion(const vault::Fido2CredInfo& cred,
                                              std::string_view label, ByteView cdh) override {
    if (stop_) return fail(Errc::auth_failed, "credential rejected");
    ++slots_;
    auto r = attempt(cred, cdh);
    if (r) return r;
    if (r.error().code != Errc::not_found) {
      decisive_ = r.error();
      stop_ = true;
    }
    (void)label;
    return fail(Errc::auth_failed, "credential rejected");
  }

  // The presence gate: the real error (Errc::device when no connected key holds the
  // credential), a prompt that says what the touch releases, the PIN when UV is asked for.
  Result<vault::Fido2Assertion> gate_assertion(const vault::Fido2CredInfo& cred,
                                               std::string_view label, ByteView cdh,
                                               const vault::Fido2Ask& ask) override {
    // No libfido2: this slot cannot serve (skipped with the reason, like an absent key).
    if (auto lib = hw::fido2_library(); !lib) return fail(Errc::device, lib.error().message);
    scan();
    for (auto& d : devices_) {
      if ((devices_.size() > 1 || !probe_possible(cred)) && !could_hold(*d, cred)) continue;
      SecretBytes pin;
      const bool bio = ask.uv && d->builtin_uv();
      if (ask.uv && !bio) {
        KW_TRY(pin, fido2_pin(opts_, d->name()));
      }
      std::fprintf(stderr, "keyward: %s %s to %s\n",
                   bio ? "verify your fingerprint on" : ask.uv ? "verify (PIN) and touch your"
                                                             : "touch your",
                   d->name().c_str(), ask.purpose.c_str());
      std::fflush(stderr);
      auto a = d->get_assertion(cred, cdh, pin);
      if (!a && bio && a.error().code == Errc::pin_blocked) {
        // The fingerprint locked out: the key's own fallback is its PIN.
        std::fprintf(stderr, "keyward: %s\n", a.error().message.c_str());
        KW_TRY(pin, fido2_pin(opts_, d->name()));
        std::fprintf(stderr, "keyward: verify (PIN) and touch your %s to %s\n", d->name().c_str(),
                     ask.purpose.c_str());
        std::fflush(stderr);
        a = d->get_assertion(cred, cdh, pin);
      }
      if (!a && a.error().code == Errc::not_found) continue;
      return a;
    }
    return fail(Errc::device, "no connected FIDO2 key holds the credential of slot '" +
                                  std::string(label) + "'" + devices_seen());
  }

  Error explain(const Error& original) const {
    if (decisive_) return *decisive_;
    if (slots_ == 0) return original;
    return Error{Errc::device, "no connected FIDO2 key holds a credential of this vault" +
                                   devices_seen()};
  }

 private:
  // "; devices seen: ..." naming the keys that answered and, apart, the ones that did not (a
  // device that is there but broken is not "none").
  std::string devices_seen() const {
    std::string seen;
    for (const auto& d : devices_) seen += (seen.empty() ? "" : ", ") + d->path();
    std::string bad;
    for (const auto& u : unusable_) bad += (bad.empty() ? "" : ", ") + u;
    if (seen.empty()) seen = bad.empty() ? "none" : "none that answered";
    std::string out = "; devices seen: " + seen;
    if (!bad.empty()) {
      out += "; could not be used: " + bad + " - remove and re-insert it (`fido2-token -I " +
             "DEVICE` shows whether it works)";
    }
    return out;
  }

  void scan() {
    if (!scanned_) {
      scanned_ = true;
      for (const auto& p : device_paths({})) {
        auto d = hw::Fido2Device::open(p);
        if (d) {
          devices_.push_back(std::move(*d));
        } else {
          unusable_.push_back(p + " (does not answer as a FIDO2 key: " + d.error().message + ")");
        }
      }
    }
  }

  Result<vault::Fido2Assertion> attempt(const vault::Fido2CredInfo& cred, ByteView cdh) {
    KW_TRY_STATUS(hw::fido2_library());  // a missing libfido2 is said as such, not as "no key"
    scan();
    for (auto& d : devices_) {
      // Several devices: silent probe first, so only the right one asks for a touch.
      if ((devices_.size() > 1 || !probe_possible(cred)) && !could_hold(*d, cred)) continue;
      SecretBytes pin;
      const bool bio = cred.uv == vault::Fido2Uv::required && d->builtin_uv();
      if (cred.uv == vault::Fido2Uv::required && !bio) {
        KW_TRY(pin, fido2_pin(opts_, d->name()));
      }
      std::fprintf(stderr, "%s %s to unlock vault %s\n",
                   bio ? "Verify your fingerprint on" : "Touch your", d->name().c_str(),
                   vault_.c_str());
      std::fflush(stderr);
      auto a = d->get_assertion(cred, cdh, pin);
      if (!a && bio && a.error().code == Errc::pin_blocked) {
        std::fprintf(stderr, "keyward: %s\n", a.error().message.c_str());
        KW_TRY(pin, fido2_pin(opts_, d->name()));
        a = d->get_assertion(cred, cdh, pin);
      }
      if (!a && a.error().code == Errc::not_found) continue;
      if (a) note_slot_device(d->name());
      return a;
    }
    return fail(Errc::not_found, "no device holds the credential");
  }

  Fido2UnlockOptions opts_;
  std::string vault_;
  bool scanned_ = false, stop_ = false;
  int slots_ = 0;
  std::optional<Error> decisive_;
  std::vector<std::unique_ptr<hw::Fido2Device>> devices_;
  std::vector<std::string> unusable_;  // "PATH (why)" of the devices that failed to open
};

Fido2UnlockOptions g_unlock;
Fido2EnrolOptions g_enrol;

std::unique_ptr<CliFido2Agent>& agent_slot() {
  static std::unique_ptr<CliFido2Agent> a;
  return a;
}

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

void install_fido2_agent(const std::string& vault_name) {
  agent_slot() = std::make_unique<CliFido2Agent>(g_unlock, vault_name);
  vault::set_fido2_agent(agent_slot().get());
}

Error fido2_unlock_error(const Error& original) {
  return agent_slot() ? agent_slot()->explain(original) : original;
}

void add_fido2_enrol_options(CLI::App* cmd) {
  Fido2EnrolOptions& o = g_enrol;
  cmd->add_option("--device", o.device, "FIDO2: hidraw path or sim:/socket (default: the only key)");
  cmd->add_option("--uv", o.uv, "FIDO2: user verification required (default; the slot can hold the high key) | "
                  "discouraged (unlock-only)");
}

Result<vault::Slot> enrol_fido2_slot(const Context& ctx, const std::string& label,
                                     const vault::VaultId& vid) {
  const Fido2EnrolOptions& o = g_enrol;
  const Fido2UnlockOptions& pin_opts = g_unlock;
  vault::Fido2CredInfo cred;
  if (o.uv == "required") {
    cred.uv = vault::Fido2Uv::required;
  } else if (o.uv == "discouraged") {
    cred.uv = vault::Fido2Uv::discouraged;
  } else if (o.uv == "preferred") {
    return fail(Errc::invalid_argument,
                "--uv preferred is not offered: the authenticator would not enforce it. Use "
                "--uv required (the default: the key itself refuses without its PIN or "
                "fingerprint) or --uv discouraged (an unlock-only slot)");
  } else {
    return fail(Errc::invalid_argument, "--uv must be required or discouraged");
  }
  cred.cred_protect = cred.uv == vault::Fido2Uv::required ? 3 : 2;
  cred.rp_id = kRpId;
  KW_TRY_STATUS(hw::fido2_library());
  auto paths = device_paths(o.device);
  if (paths.empty()) return fail(Errc::device, "no FIDO2 key found: plug one in or pass --device");
  if (paths.size() > 1) {
    std::string all;
    for (const auto& p : paths) all += (all.empty() ? "" : ", ") + p;
    return fail(Errc::invalid_argument, "several FIDO2 keys (" + all + "): choose one with --device");
  }
  KW_TRY(auto dev, hw::Fido2Device::open(paths.front()));
  // Said before the device is touched: what this slot will and will not be able to do.
  SecretBytes pin;
  if (cred.uv == vault::Fido2Uv::required) {
    if (!dev->builtin_uv() && !dev->pin_set()) {
      return fail(Errc::policy,
                  dev->name() + " has no FIDO2 PIN and no enrolled fingerprint, so it cannot "
                  "require user verification and this slot could not hold the high key. Set a "
                  "FIDO2 PIN on the key first (e.g. `ykman fido access change-pin` or "
                  "`fido2-token -S`), or enrol an unlock-only slot with --uv discouraged");
    }
    if (!dev->builtin_uv()) {
      KW_TRY(pin, fido2_pin(pin_opts, dev->name()));
    }
  } else {
    std::fprintf(stderr,
                 "keyward: warning: --uv discouraged makes an UNLOCK-ONLY slot: it never holds "
                 "the high key, and any process of this user that can reach %s unlocks the vault "
                 "without a touch (the key answers hmac-secret with up=false)\n",
                 dev->name().c_str());
    std::fflush(stderr);
  }
  const bool bio = cred.uv == vault::Fido2Uv::required && dev->builtin_uv();
  info(ctx, std::string(bio ? "Verify your fingerprint on " : "Touch your ") + dev->name() +
                " to create the credential");
  KW_TRY(auto made, dev->make_credential(cred.rp_id, vid, random_bytes(32), cred.uv,
                                         cred.cred_protect, pin));
  cred.credential_id = std::move(made.credential_id);
  cred.public_key = std::move(made.public_key);
  cred.salt = random_bytes(32);
  info(ctx, std::string(bio ? "Verify your fingerprint on " : "Touch your ") + dev->name() +
                " again to derive the slot key");
  Bytes cdh = random_bytes(32);
  KW_TRY(auto a, dev->get_assertion(cred, cdh, pin));
  if (a.hmac_output.size() != 32) {
    return fail(Errc::unsupported, dev->name() + " did not return an hmac-secret output");
  }
  // The secret the slot is sealed under must be the UV one (CredRandomWithUV): check the flag.
  KW_TRY_STATUS(vault::fido2_verify_assertion(cred, a, cdh, cred.uv == vault::Fido2Uv::required));
  note_slot_device(dev->name());
  info(ctx, "Enrolled " + dev->name() + " (uv " + std::string(vault::fido2_uv_name(cred.uv)) +
                ", credProtect " + std::to_string(cred.cred_protect) + ")" +
                (cred.uv == vault::Fido2Uv::required ? "" : "; unlock-only, no high key"));
  return vault::new_fido2_slot(label, cred, a.hmac_output, vid);
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

#include "hw/fido2_agent.h"

#include <cstdlib>

namespace keyward::hw {
namespace {

// A credProtect-3 credential is invisible without UV, so the silent (up=false, no UV) probe
// cannot find it: every device is asked in turn (a wrong device answers "no credentials" after
// the PIN, before any touch).
bool probe_possible(const vault::Fido2CredInfo& cred) { return cred.cred_protect != 3; }

// With several devices: whether `d` may hold the credential, asked without a touch. A
// credProtect-3 credential only lives on a key with a PIN or a fingerprint (a reset wipes both).
bool could_hold(Fido2Device& d, const vault::Fido2CredInfo& cred) {
  if (!probe_possible(cred)) return d.pin_set() || d.builtin_uv();
  auto has = d.has_credential(cred);
  return has && *has;
}

}  // namespace

std::vector<std::string> fido2_env_devices() {
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
  }
  return out;
}

std::vector<std::string> fido2_device_list(const std::string& explicit_path) {
  if (!explicit_path.empty()) return {explicit_path};
  if (const char* e = std::getenv("KEYWARD_FIDO2_DEVICES"); e != nullptr && e[0] != '\0') {
    return fido2_env_devices();
  }
  return fido2_hid_devices();
}

Result<vault::Fido2Assertion> Fido2Agent::get_assertion(const vault::Fido2CredInfo& cred,
                                                        std::string_view label, ByteView cdh) {
  (void)label;
  if (stop_) return fail(Errc::auth_failed, "credential rejected");
  ++slots_;
  auto r = [&]() -> Result<vault::Fido2Assertion> {
    KW_TRY_STATUS(fido2_library());  // a missing libfido2 is said as such, not as "no key"
    return from_devices(cred, cdh, cred.uv == vault::Fido2Uv::required, "unlock vault " + vault_,
                        false);
  }();
  if (r) return r;
  if (r.error().code != Errc::not_found) {
    decisive_ = r.error();
    stop_ = true;
  }
  return fail(Errc::auth_failed, "credential rejected");
}

Result<vault::Fido2Assertion> Fido2Agent::gate_assertion(const vault::Fido2CredInfo& cred,
                                                         std::string_view label, ByteView cdh,
                                                         const vault::Fido2Ask& ask) {
  // No libfido2: this slot cannot serve (skipped with the reason, like an absent key).
  if (auto lib = fido2_library(); !lib) return fail(Errc::device, lib.error().message);
  auto a = from_devices(cred, cdh, ask.uv, ask.purpose, true);
  if (!a && a.error().code == Errc::not_found) {
    return fail(Errc::device, "no connected FIDO2 key holds the credential of slot '" +
                                  std::string(label) + "'" + devices_seen());
  }
  return a;
}

Result<vault::Fido2Assertion> Fido2Agent::from_devices(const vault::Fido2CredInfo& cred,
                                                       ByteView cdh, bool uv,
                                                       const std::string& what, bool gate) {
  scan();
  for (auto& d : devices_) {
    // Several devices: silent probe first, so only the right one asks for a touch.
    if ((devices_.size() > 1 || !probe_possible(cred)) && !could_hold(*d, cred)) continue;
    SecretBytes pin;
    const bool bio = uv && d->builtin_uv();
    if (uv && !bio) {
      KW_TRY(pin, ui_.secret(Asked::fido2_pin, d->name()));
    }
    const char* ask = !gate ? (bio ? "Verify your fingerprint on " : "Touch your ")
                      : bio ? "keyward: verify your fingerprint on "
                      : uv  ? "keyward: verify (PIN) and touch your "
                            : "keyward: touch your ";
    ui_.notice(ask + d->name() + " to " + what);
    auto a = d->get_assertion(cred, cdh, pin);
    if (!a && bio && a.error().code == Errc::pin_blocked) {
      // The fingerprint locked out: the key's own fallback is its PIN.
      ui_.notice("keyward: " + a.error().message);
      KW_TRY(pin, ui_.secret(Asked::fido2_pin, d->name()));
      ui_.notice(std::string(gate ? "keyward: verify (PIN) and touch your " : "Touch your ") +
                 d->name() + " to " + what);
      a = d->get_assertion(cred, cdh, pin);
    }
    if (!a && a.error().code == Errc::not_found) continue;
    if (a) answered_by_ = d->name();
    return a;
  }
  return fail(Errc::not_found, "no device holds the credential");
}

Error Fido2Agent::explain(const Error& original) const {
  if (decisive_) return *decisive_;
  if (slots_ == 0) return original;
  return Error{Errc::device, "no connected FIDO2 key holds a credential of this vault" +
                                 devices_seen()};
}

// "; devices seen: ..." naming the keys that answered and, apart, the ones that did not (a
// device that is there but broken is not "none").
std::string Fido2Agent::devices_seen() const {
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

void Fido2Agent::scan() {
  if (scanned_) return;
  scanned_ = true;
  for (const auto& p : fido2_device_list()) {
    auto d = Fido2Device::open(p);
    if (d) {
      devices_.push_back(std::move(*d));
    } else {
      unusable_.push_back(p + " (does not answer as a FIDO2 key: " + d.error().message + ")");
    }
  }
}

}  // namespace keyward::hw

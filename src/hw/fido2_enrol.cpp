#include "hw/fido2_enrol.h"

#include "core/random.h"
#include "hw/fido2_agent.h"
#include "hw/fido2_device.h"

namespace keyward::hw {

Result<EnrolledFido2> enrol_fido2_slot(Interaction& ui, const Fido2EnrolOptions& o,
                                       const std::string& label, const vault::VaultId& vid,
                                       const CommitFido2Slot& commit) {
  vault::Fido2CredInfo cred;
  cred.uv = o.uv;
  if (cred.uv == vault::Fido2Uv::preferred) {
    return fail(Errc::invalid_argument,
                "--uv preferred is not offered: the authenticator would not enforce it. Use "
                "--uv required (the default: the key itself refuses without its PIN or "
                "fingerprint) or --uv discouraged (an unlock-only slot)");
  }
  const bool uv = cred.uv == vault::Fido2Uv::required;
  cred.cred_protect = uv ? 3 : 2;
  cred.rp_id = kFido2RpId;
  KW_TRY_STATUS(fido2_library());
  auto paths = fido2_device_list(o.device);
  if (paths.empty()) return fail(Errc::device, "no FIDO2 key found: plug one in or pass --device");
  if (paths.size() > 1) {
    std::string all;
    for (const auto& p : paths) all += (all.empty() ? "" : ", ") + p;
    return fail(Errc::invalid_argument, "several FIDO2 keys (" + all + "): choose one with --device");
  }
  KW_TRY(auto dev, Fido2Device::open(paths.front()));
  // Said before the device is touched: what this slot will and will not be able to do.
  SecretBytes pin;
  if (uv) {
    if (!dev->builtin_uv() && !dev->pin_set()) {
      return fail(Errc::policy,
                  dev->name() + " has no FIDO2 PIN and no enrolled fingerprint, so it cannot "
                  "require user verification and this slot could not hold the high key. Set a "
                  "FIDO2 PIN on the key first (e.g. `ykman fido access change-pin` or "
                  "`fido2-token -S`), or enrol an unlock-only slot with --uv discouraged");
    }
    if (!dev->builtin_uv()) {
      KW_TRY(pin, ui.secret(Asked::fido2_pin, dev->name()));
    }
  } else {
    ui.notice("keyward: warning: --uv discouraged makes an UNLOCK-ONLY slot: it never holds the "
              "high key, and any process of this user that can reach " + dev->name() +
              " unlocks the vault without a touch (the key answers hmac-secret with up=false)");
  }
  const bool bio = uv && dev->builtin_uv();
  const std::string touch = bio ? "Verify your fingerprint on " : "Touch your ";
  ui.info(touch + dev->name() + " to create the credential");
  KW_TRY(auto made, dev->make_credential(cred.rp_id, vid, random_bytes(32), cred.uv,
                                         cred.cred_protect, pin));
  cred.credential_id = std::move(made.credential_id);
  cred.public_key = std::move(made.public_key);
  cred.salt = random_bytes(32);
  // From here on the authenticator has made a credential: every failure says what that left.
  auto after = [&dev](Error e) {
    e.message += ". The credential just made is not stored on " + dev->name() +
                 " (non-discoverable), so nothing is left on it; nothing was added to the vault";
    return tl::unexpected(std::move(e));
  };
  ui.info(touch + dev->name() + " again to derive the slot key");
  Bytes cdh = random_bytes(32);
  auto a = dev->get_assertion(cred, cdh, pin);
  if (!a) return after(a.error());
  if (a->hmac_output.size() != 32) {
    return after(Error{Errc::unsupported, dev->name() + " did not return an hmac-secret output"});
  }
  // The secret the slot is sealed under must be the UV one (CredRandomWithUV): check the flag.
  if (auto v = vault::fido2_verify_assertion(cred, *a, cdh, uv); !v) return after(v.error());
  auto slot = vault::new_fido2_slot(label, cred, a->hmac_output, vid);
  if (!slot) return after(slot.error());
  if (auto stored = commit(std::move(*slot)); !stored) return after(stored.error());
  ui.info("Enrolled " + dev->name() + " (uv " + std::string(vault::fido2_uv_name(cred.uv)) +
          ", credProtect " + std::to_string(cred.cred_protect) + ")" +
          (uv ? "" : "; unlock-only, no high key"));
  return EnrolledFido2{dev->name(), bio};
}

}  // namespace keyward::hw

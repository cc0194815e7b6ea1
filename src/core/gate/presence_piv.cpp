// The presence gate's PIV proof: one ECDH with a card key whose touch policy is `always` (PIN
// policy `always` for verify) opens the slot secret. The card refuses the ECDH without the
// touch, so nothing here can be walked around by a same-user process.
#include "core/gate/presence.h"
#include "core/vault/slot_piv.h"

namespace keyward::gate::detail {
namespace {

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}

}  // namespace

Result<Attempt> piv_presence(const vault::Slot& s, const Proof& p) {
  KW_TRY(auto info, vault::piv_key_info(s));
  vault::PivAsk ask{p.purpose, p.verify};
  auto secret = vault::piv_gate_slot_secret(s, p.header.vault_id, ask, p.devices.piv);
  if (!secret) {
    // Card absent, key not usable at this level, or no PIV support: the next slot may serve.
    Errc c = secret.error().code;
    if (c == Errc::device || c == Errc::not_found || c == Errc::policy || c == Errc::unsupported) {
      return Attempt{{}, "slot " + std::to_string(s.number) + " ('" + s.label + "'): " +
                             secret.error().message};
    }
    return tl::unexpected(secret.error());
  }
  return Attempt{Answer{std::move(*secret),
                        "YubiKey " + std::to_string(info.serial) + " key " + hex2(info.key_ref), 0},
                 {}};
}

}  // namespace keyward::gate::detail

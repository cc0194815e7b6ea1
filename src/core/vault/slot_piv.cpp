// PIV slot (type 4), docs/format-vault.md section 5.3.
// Params: u8 version (1) | u32 serial | u8 key ref | u8 PIN policy | u8 touch policy |
//         u8 attestation | card public key (65) | ephemeral public key E (65) | sealed p (72).
// KEK = HKDF-SHA-256(IKM = ECDH_x(card key, E), salt = E || card public || VID,
//                    info = "keyward/vault/v1/piv", 32); p is sealed as for passphrase slots with
// AAD_p over the first 139 bytes of the params. Master and high key are wrapped to P (5.2), so
// re-keying never needs the card; one ECDH (one touch) unlocks both.
#include "core/vault/slot_piv.h"


#include "core/kdf.h"
#include "core/p256.h"
#include "core/pubkey.h"
#include "core/vault/codec.h"

namespace keyward::vault {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kPoint = p256::kUncompressedSize;
constexpr std::size_t kPrefixSize = 1 + 4 + 1 + 1 + 1 + 1 + kPoint + kPoint;
constexpr std::size_t kSealedSize = 72;
constexpr std::string_view kKekInfo = "keyward/vault/v1/piv";


struct Params {
  PivKeyInfo info;
  ByteView eph, sealed;
};

std::optional<Params> decode(ByteView raw) {
  if (raw.size() != kPrefixSize + kSealedSize) return std::nullopt;
  Reader r(raw);
  Params p;
  std::uint8_t version = 0, pin = 0, touch = 0, att = 0;
  ByteView card;
  if (!r.u8(version) || version != kVersion || !r.u32(p.info.serial) || !r.u8(p.info.key_ref) ||
      !r.u8(pin) || !r.u8(touch) || !r.u8(att) || !r.raw(kPoint, card) ||
      !r.raw(kPoint, p.eph) || !r.raw(kSealedSize, p.sealed) || !r.done()) {
    return std::nullopt;
  }
  if (!valid_piv_key_ref(p.info.key_ref) || pin < 1 || pin > 3 || touch < 1 || touch > 3 ||
      att > 2) {
    return std::nullopt;
  }
  p.info.pin = static_cast<PivPinPolicy>(pin);
  p.info.touch = static_cast<PivTouchPolicy>(touch);
  p.info.attestation = static_cast<PivAttestation>(att);
  p.info.card_public.assign(card.begin(), card.end());
  return p;
}

Result<SecretBytes> kek_from(const SecretBytes& shared, ByteView eph, ByteView card,
                             const VaultId& vid) {
  Writer salt;
  salt.raw(eph);
  salt.raw(card);
  salt.raw(vid);
  return kdf::hkdf_sha256(shared, salt.bytes(), as_bytes(kKekInfo), kKeySize);
}

class PivHandler final : public SlotHandler {
 public:
  SlotType type() const override { return SlotType::piv; }
  bool presence_capable(const Slot& slot) const override {
    auto p = decode(slot.params);
    return p && p->info.touch == PivTouchPolicy::always && slot.presence_capable();
  }

  // touch=always: the card refuses every ECDH without a touch. The policy is fixed when the key
  // is generated; unattested, keyward only has the card's word for it (checked before each use).
  std::string enforcement(const Slot& slot) const override {
    auto p = decode(slot.params);
    if (!p) return "unknown";
    std::string pin = p->info.pin == PivPinPolicy::never ? "" : "PIN (card)";
    if (p->info.touch == PivTouchPolicy::always) {
      return std::string("card touch") + (pin.empty() ? "" : " + " + pin) +
             (p->info.attestation == PivAttestation::unverified ? " (policy not attested)" : "");
    }
    if (p->info.touch == PivTouchPolicy::cached) {
      return "card touch, cached 15 s" + (pin.empty() ? std::string() : " + " + pin);
    }
    return pin.empty() ? "nothing beyond access to the device" : pin;
  }

  Status validate(const Slot& slot) const override {
    auto p = decode(slot.params);
    if (!p) return opaque();
    bool presence = p->info.touch == PivTouchPolicy::always;
    if (slot.presence_capable() != presence) return opaque();
    if (!presence && !slot.wrapped_high.empty()) return opaque();
    if (!p256::decode_point(p->info.card_public) || !p256::decode_point(p->eph)) return opaque();
    return ok();
  }

  Result<SecretBytes> unlock(const Slot& slot, const VaultId& vid,
                             const Credential& cred) const override {
    if (cred.type != SlotType::piv) return fail(Errc::auth_failed, "credential rejected");
    auto p = decode(slot.params);
    if (!p) return opaque();
    PivKeyAgent* agent = cred.devices.piv;
    if (agent == nullptr) {
      return fail(Errc::unsupported, "this program cannot talk to PIV cards");
    }
    KW_TRY(auto shared, agent->ecdh(p->info, slot.label, p->eph));
    if (shared.size() != p256::kScalarSize) return fail(Errc::auth_failed, "credential rejected");
    KW_TRY(auto kek, kek_from(shared, p->eph, p->info.card_public, vid));
    return open_slot_secret(kek, p->sealed, slot.type, vid, slot.public_key,
                            ByteView(slot.params).subspan(0, kPrefixSize));
  }
};

}  // namespace

std::string_view piv_pin_policy_name(PivPinPolicy p) noexcept {
  switch (p) {
    case PivPinPolicy::never: return "never";
    case PivPinPolicy::once: return "once";
    case PivPinPolicy::always: return "always";
  }
  return "unknown";
}

std::string_view piv_touch_policy_name(PivTouchPolicy t) noexcept {
  switch (t) {
    case PivTouchPolicy::never: return "never";
    case PivTouchPolicy::always: return "always";
    case PivTouchPolicy::cached: return "cached";
  }
  return "unknown";
}

std::string_view piv_attestation_name(PivAttestation a) noexcept {
  switch (a) {
    case PivAttestation::unverified: return "unverified";
    case PivAttestation::verified: return "verified";
    case PivAttestation::verified_simulator: return "verified-simulator";
  }
  return "unknown";
}

bool valid_piv_key_ref(std::uint8_t ref) noexcept {
  return ref == 0x9d || (ref >= 0x82 && ref <= 0x95);
}

Result<PivKeyInfo> piv_key_info(const Slot& slot) {
  if (slot.type != SlotType::piv) return fail(Errc::invalid_argument, "not a PIV slot");
  auto p = decode(slot.params);
  if (!p) return opaque();
  return p->info;
}

Result<SecretBytes> piv_gate_slot_secret(const Slot& slot, const VaultId& vid, const PivAsk& ask,
                                         PivKeyAgent* agent) {
  auto p = decode(slot.params);
  if (!p) return opaque();
  if (p->info.touch != PivTouchPolicy::always || !slot.presence_capable()) {
    return fail(Errc::policy, "PIV slot '" + slot.label + "' has touch policy " +
                                  std::string(piv_touch_policy_name(p->info.touch)) +
                                  ": only touch=always keys can serve as the presence gate");
  }
  if (ask.verify && p->info.pin != PivPinPolicy::always) {
    return fail(Errc::policy, "PIV slot '" + slot.label + "' has PIN policy " +
                                  std::string(piv_pin_policy_name(p->info.pin)) +
                                  ": user verification needs a key with PIN policy always "
                                  "(enrol one with `keyward slot add piv --pin-policy always`)");
  }
  if (agent == nullptr) return fail(Errc::unsupported, "this program cannot talk to PIV cards");
  KW_TRY(auto shared, agent->gate_ecdh(p->info, slot.label, p->eph, ask));
  if (shared.size() != p256::kScalarSize) return fail(Errc::auth_failed, "credential rejected");
  KW_TRY(auto kek, kek_from(shared, p->eph, p->info.card_public, vid));
  return open_slot_secret(kek, p->sealed, slot.type, vid, slot.public_key,
                          ByteView(slot.params).subspan(0, kPrefixSize));
}

const SlotHandler& piv_slot_handler() {
  static const PivHandler h;
  return h;
}

Result<Slot> new_piv_slot(std::string label, const PivKeyInfo& info, const VaultId& vid) {
  if (!valid_piv_key_ref(info.key_ref)) {
    return fail(Errc::invalid_argument, "PIV key slot must be 82..95 or 9d");
  }
  auto card = p256::to_uncompressed(info.card_public);
  if (!card) return fail(Errc::malformed, "the card's public key is not a P-256 point");
  auto kp = pubkey::x25519_generate();
  auto eph = p256::generate();
  KW_TRY(auto shared, p256::ecdh(eph.private_scalar, *card));
  KW_TRY(auto kek, kek_from(shared, eph.public_uncompressed, *card, vid));
  Slot s;
  s.type = SlotType::piv;
  s.label = std::move(label);
  s.public_key = kp.public_key;
  s.flags = info.touch == PivTouchPolicy::always ? kSlotFlagPresence : 0;
  Writer w;
  w.u8(kVersion);
  w.u32(info.serial);
  w.u8(info.key_ref);
  w.u8(static_cast<std::uint8_t>(info.pin));
  w.u8(static_cast<std::uint8_t>(info.touch));
  w.u8(static_cast<std::uint8_t>(info.attestation));
  w.raw(*card);
  w.raw(eph.public_uncompressed);
  KW_TRY(auto sealed, seal_slot_secret(kek, kp.secret, s.type, vid, s.public_key, w.bytes()));
  w.raw(sealed);
  s.params = w.take();
  return s;
}

}  // namespace keyward::vault

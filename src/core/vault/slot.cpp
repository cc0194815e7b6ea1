#include "core/vault/slot.h"

#include "core/aead.h"
#include "core/kdf.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/vault/slot_fido2.h"
#include "core/vault/slot_piv.h"

namespace keyward::vault {
namespace {

constexpr std::string_view kSlotMagic = "KWVS";

Bytes slot_secret_aad(SlotType type, const VaultId& vid, const Digest& pub, ByteView prefix) {
  Writer w;
  w.raw(label::kSlotSecret);
  w.u8(static_cast<std::uint8_t>(type));
  w.raw(vid);
  w.raw(pub);
  w.raw(prefix);
  return w.take();
}

Bytes wrap_aad(SlotType type, Which which, const VaultId& vid) {
  Writer w;
  w.raw(label::kSlotWrap);
  w.u8(static_cast<std::uint8_t>(type));
  w.u8(static_cast<std::uint8_t>(which));
  w.raw(vid);
  return w.take();
}

Result<SecretBytes> wrap_kek(const SecretBytes& shared, ByteView eph_pub, const Digest& pub,
                             const VaultId& vid, Which which) {
  Writer salt;
  salt.raw(eph_pub);
  salt.raw(pub);
  salt.raw(vid);
  std::string info(label::kWrapPrefix);
  info += which == Which::master ? "master" : "high";
  return kdf::hkdf_sha256(shared, salt.bytes(), as_bytes(info), kKeySize);
}

}  // namespace

std::string_view slot_type_name(SlotType t) noexcept {
  switch (t) {
    case SlotType::passphrase: return "passphrase";
    case SlotType::recipient: return "recipient";
    case SlotType::recovery: return "recovery";
    case SlotType::piv: return "piv";
    case SlotType::fido2: return "fido2";
  }
  return "unknown";
}

std::optional<SlotType> slot_type_from_name(std::string_view name) noexcept {
  for (auto t : {SlotType::passphrase, SlotType::recipient, SlotType::recovery, SlotType::piv,
                 SlotType::fido2}) {
    if (slot_type_name(t) == name) return t;
  }
  return std::nullopt;
}

const SlotHandler* slot_handler(SlotType t) noexcept {
  switch (t) {
    case SlotType::passphrase: return &passphrase_slot_handler();
    case SlotType::recipient: return &recipient_slot_handler();
    case SlotType::recovery: return &recovery_slot_handler();
    case SlotType::piv: return &piv_slot_handler();
    case SlotType::fido2: return &fido2_slot_handler();
  }
  return nullptr;
}

Status check_new_slot_label(const std::vector<Slot>& slots, const std::string& label) {
  if (label.size() > kMaxLabel) {
    return fail(Errc::invalid_argument, "slot labels are at most 128 bytes");
  }
  for (const auto& s : slots) {
    if (!label.empty() && s.label == label) {
      return fail(Errc::already_exists, "a slot labelled '" + label + "' already exists");
    }
  }
  return ok();
}

Bytes encode_slot(const Slot& s) {
  Writer w;
  w.raw(kSlotMagic);
  w.u8(1);
  w.u8(static_cast<std::uint8_t>(s.type));
  w.u8(s.flags);
  w.u16(static_cast<std::uint16_t>(s.label.size()));
  w.raw(s.label);
  w.raw(s.public_key);
  w.u32(static_cast<std::uint32_t>(s.params.size()));
  w.raw(s.params);
  w.u16(static_cast<std::uint16_t>(s.wrapped_master.size()));
  w.raw(s.wrapped_master);
  w.u16(static_cast<std::uint16_t>(s.wrapped_high.size()));
  w.raw(s.wrapped_high);
  return w.take();
}

Result<Slot> parse_slot(ByteView body) {
  Reader r(body);
  ByteView magic, label_bytes, pub;
  std::uint8_t version = 0, type = 0;
  std::uint16_t label_len = 0, wm_len = 0, wh_len = 0;
  std::uint32_t params_len = 0;
  Slot s;
  if (!r.raw(4, magic) || as_chars(magic) != kSlotMagic || !r.u8(version) || version != 1 ||
      !r.u8(type) || !r.u8(s.flags) || (s.flags & ~kSlotFlagPresence) != 0 || !r.u16(label_len) ||
      label_len > kMaxLabel || !r.raw(label_len, label_bytes) || !r.raw(32, pub) ||
      !r.u32(params_len) || params_len > kMaxParams || !r.raw(params_len, s.params) ||
      !r.u16(wm_len) || wm_len != kWrappedSize || !r.raw(wm_len, s.wrapped_master) ||
      !r.u16(wh_len) || (wh_len != 0 && wh_len != kWrappedSize) ||
      !r.raw(wh_len, s.wrapped_high) || !r.done()) {
    return opaque();
  }
  if (type < 1 || type > 5) return opaque();
  s.type = static_cast<SlotType>(type);
  s.label.assign(as_chars(label_bytes));
  s.public_key = to_array<32>(pub);
  // A type this build does not implement (piv/fido2 before their issues) is kept as-is: the
  // vault can still be opened through another slot. Known types check their parameters.
  if (const SlotHandler* h = slot_handler(s.type)) KW_TRY_STATUS(h->validate(s));
  return s;
}

std::string SlotHandler::enforcement(const Slot& slot) const {
  switch (slot.type) {
    case SlotType::passphrase: return "the passphrase";
    case SlotType::recipient: return "the age identity file";
    case SlotType::recovery: return "the recovery code";
    default: return "unknown";
  }
}

Result<Bytes> SlotHandler::wrap(const Slot& slot, const VaultId& vid, Which which,
                                const SecretBytes& key) const {
  auto eph = pubkey::x25519_generate();
  KW_TRY(auto shared, pubkey::x25519(eph.secret, slot.public_key));
  KW_TRY(auto kek, wrap_kek(shared, eph.public_key, slot.public_key, vid, which));
  Bytes nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto ct, aead::xchacha_seal(kek, nonce, key, wrap_aad(slot.type, which, vid)));
  Bytes out;
  append(out, eph.public_key);
  append(out, nonce);
  append(out, ct);
  return out;
}

Result<SecretBytes> SlotHandler::unwrap(const Slot& slot, const VaultId& vid, Which which,
                                        ByteView wrapped, const SecretBytes& slot_secret) const {
  if (wrapped.size() != kWrappedSize) return opaque();
  ByteView eph = wrapped.subspan(0, 32);
  ByteView nonce = wrapped.subspan(32, aead::kXNonceSize);
  ByteView ct = wrapped.subspan(32 + aead::kXNonceSize);
  auto shared = pubkey::x25519(slot_secret, eph);
  if (!shared) return opaque();
  KW_TRY(auto kek, wrap_kek(*shared, eph, slot.public_key, vid, which));
  auto key = aead::xchacha_open(kek, nonce, ct, wrap_aad(slot.type, which, vid));
  if (!key || key->size() != kKeySize) return opaque();
  return std::move(*key);
}

Result<Bytes> seal_slot_secret(const SecretBytes& kek, const SecretBytes& secret, SlotType type,
                               const VaultId& vid, const Digest& pub, ByteView params_prefix) {
  Bytes nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto ct, aead::xchacha_seal(kek, nonce, secret,
                                     slot_secret_aad(type, vid, pub, params_prefix)));
  Bytes out = nonce;
  append(out, ct);
  return out;
}

Result<SecretBytes> open_slot_secret(const SecretBytes& kek, ByteView sealed, SlotType type,
                                     const VaultId& vid, const Digest& pub,
                                     ByteView params_prefix) {
  constexpr std::size_t kSealed = aead::kXNonceSize + kKeySize + aead::kTagSize;
  if (sealed.size() != kSealed) return opaque();
  auto p = aead::xchacha_open(kek, sealed.subspan(0, aead::kXNonceSize),
                              sealed.subspan(aead::kXNonceSize),
                              slot_secret_aad(type, vid, pub, params_prefix));
  if (!p || p->size() != kKeySize) {
    return fail(Errc::auth_failed, "credential rejected");
  }
  // The secret must match the slot's public key, or the slot was assembled from parts.
  auto derived = pubkey::x25519_public(*p);
  if (!derived || !ct_equal(*derived, pub)) return fail(Errc::auth_failed, "credential rejected");
  return std::move(*p);
}

}  // namespace keyward::vault

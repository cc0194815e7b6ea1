// FIDO2 slot (type 5). Params: u8 version (1) | u8 uv | u8 credProtect | u8 rp id length | rp id |
// u16 credential id length | credential id | salt (32) | credential public key (65) | sealed p.
// KEK = HKDF-SHA-256(IKM = hmac-secret output, salt = params salt, info = "keyward/vault/v1/fido2").
// Holds the high key only when the authenticator itself refuses the hmac-secret output without
// user verification: uv required and credProtect 3 (docs/presence-gate.md, "Who enforces what").
// A getAssertion with up=false answers hmac-secret without a touch, so UP alone is enforced by
// nobody but keyward. Such slots (`--uv discouraged`) are unlock-only: flags 0, no wrap of H.
// Slots written before this rule (flag set, UV not required, H wrapped) still parse; they are
// "legacy" and `keyward vault repair` strips H from them and rotates it.
#include "core/vault/slot_fido2.h"


#include "core/hash.h"
#include "core/kdf.h"
#include "core/p256.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/codec.h"

namespace keyward::vault {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kSaltSize = 32;
constexpr std::size_t kSealedSize = 72;
constexpr std::string_view kKekInfo = "keyward/vault/v1/fido2";


struct Params {
  Fido2CredInfo info;
  std::size_t prefix = 0;
  ByteView sealed;
};

std::optional<Params> decode(ByteView raw) {
  Reader r(raw);
  Params p;
  std::uint8_t version = 0, uv = 0, rp_len = 0;
  std::uint16_t cid_len = 0;
  ByteView rp;
  if (!r.u8(version) || version != kVersion || !r.u8(uv) || uv < 1 || uv > 3 ||
      !r.u8(p.info.cred_protect) || p.info.cred_protect < 2 || p.info.cred_protect > 3 ||
      !r.u8(rp_len) || rp_len == 0 || !r.raw(rp_len, rp) || !r.u16(cid_len) || cid_len == 0 ||
      cid_len > 1024 || !r.raw(cid_len, p.info.credential_id) ||
      !r.raw(kSaltSize, p.info.salt) || !r.raw(p256::kUncompressedSize, p.info.public_key)) {
    return std::nullopt;
  }
  p.prefix = r.pos();
  if (!r.raw(kSealedSize, p.sealed) || !r.done()) return std::nullopt;
  p.info.uv = static_cast<Fido2Uv>(uv);
  p.info.rp_id.assign(as_chars(rp));
  return p;
}

class Fido2Handler final : public SlotHandler {
 public:
  SlotType type() const override { return SlotType::fido2; }

  Status validate(const Slot& slot) const override {
    auto p = decode(slot.params);
    if (!p) return opaque();
    // Unlock-only: no presence flag, no H. A device-enforced slot always carries the flag.
    if (!slot.presence_capable() && (!slot.wrapped_high.empty() || fido2_device_enforced(p->info))) {
      return opaque();
    }
    if (!p256::decode_point(p->info.public_key)) return opaque();
    return ok();
  }

  bool presence_capable(const Slot& slot) const override {
    auto p = decode(slot.params);
    return p && slot.presence_capable() && fido2_device_enforced(p->info);
  }

  // PIN or built-in UV is checked by the authenticator (credProtect 3, UV hmac-secret); with a
  // PIN token a getAssertion may still say up=false, so the touch is keyward's check only. A
  // bio key accepts its PIN too (the fallback after a lock-out), hence the PIN entry.
  std::string enforcement(const Slot& slot) const override {
    auto p = decode(slot.params);
    if (p && fido2_device_enforced(p->info)) return "PIN (authenticator), touch checked by keyward";
    return "nothing beyond access to the device";
  }

  Result<SecretBytes> unlock(const Slot& slot, const VaultId& vid,
                             const Credential& cred) const override {
    if (cred.type != SlotType::fido2) return fail(Errc::auth_failed, "credential rejected");
    auto p = decode(slot.params);
    if (!p) return opaque();
    Fido2Agent* agent = cred.devices.fido2;
    if (agent == nullptr) return fail(Errc::unsupported, "this program cannot talk to FIDO2 keys");
    Bytes cdh = random_bytes(32);
    KW_TRY(auto a, agent->get_assertion(p->info, slot.label, cdh));
    KW_TRY_STATUS(fido2_verify_assertion(p->info, a, cdh, false));
    return fido2_open_slot_secret(slot, vid, a.hmac_output);
  }
};

}  // namespace

std::string_view fido2_uv_name(Fido2Uv uv) noexcept {
  switch (uv) {
    case Fido2Uv::required: return "required";
    case Fido2Uv::preferred: return "preferred";
    case Fido2Uv::discouraged: return "discouraged";
  }
  return "unknown";
}

bool fido2_device_enforced(const Fido2CredInfo& info) noexcept {
  return info.uv == Fido2Uv::required && info.cred_protect == 3;
}

bool fido2_legacy_high(const Slot& slot) {
  if (slot.type != SlotType::fido2 || slot.wrapped_high.empty()) return false;
  auto p = decode(slot.params);
  return p && !fido2_device_enforced(p->info);
}


Result<Fido2Verified> fido2_verify_assertion(const Fido2CredInfo& info, const Fido2Assertion& a,
                                             ByteView cdh, bool require_uv) {
  // authData: rpIdHash(32) | flags(1) | signCount(4, big-endian) | ...
  auto rp_hash = hash::sha256(as_bytes(info.rp_id));
  if (a.auth_data.size() < 37 || !ct_equal(ByteView(a.auth_data).subspan(0, 32), rp_hash)) {
    return fail(Errc::auth_failed, "the authenticator's answer is for another relying party");
  }
  Fido2Verified v;
  v.flags = a.auth_data[32];
  if ((v.flags & kFido2FlagUp) == 0) {
    return fail(Errc::presence, "the authenticator did not confirm user presence");
  }
  if ((require_uv || info.uv == Fido2Uv::required) && (v.flags & kFido2FlagUv) == 0) {
    return fail(Errc::presence, "the authenticator did not verify the user (UV required)");
  }
  Bytes signed_data = a.auth_data;
  append(signed_data, cdh);
  if (!p256::ecdsa_verify_der(info.public_key, signed_data, a.signature)) {
    return fail(Errc::auth_failed, "the assertion signature does not verify");
  }
  for (std::size_t i = 33; i < 37; ++i) v.counter = (v.counter << 8) | a.auth_data[i];
  return v;
}

Result<SecretBytes> fido2_open_slot_secret(const Slot& slot, const VaultId& vid,
                                           const SecretBytes& hmac_output) {
  auto p = decode(slot.params);
  if (!p) return opaque();
  if (hmac_output.size() != 32) return fail(Errc::auth_failed, "credential rejected");
  KW_TRY(auto kek, kdf::hkdf_sha256(hmac_output, p->info.salt, as_bytes(kKekInfo), kKeySize));
  return open_slot_secret(kek, p->sealed, slot.type, vid, slot.public_key,
                          ByteView(slot.params).subspan(0, p->prefix));
}

const SlotHandler& fido2_slot_handler() {
  static const Fido2Handler h;
  return h;
}

Result<Fido2CredInfo> fido2_cred_info(const Slot& slot) {
  if (slot.type != SlotType::fido2) return fail(Errc::invalid_argument, "not a FIDO2 slot");
  auto p = decode(slot.params);
  if (!p) return opaque();
  return p->info;
}

Result<Slot> new_fido2_slot(std::string label, const Fido2CredInfo& info,
                            const SecretBytes& hmac_output, const VaultId& vid) {
  if (info.rp_id.empty() || info.rp_id.size() > 255 || info.credential_id.empty() ||
      info.credential_id.size() > 1024 || info.salt.size() != kSaltSize ||
      hmac_output.size() != 32) {
    return fail(Errc::invalid_argument, "bad FIDO2 credential parameters");
  }
  KW_TRY(auto pub, p256::to_uncompressed(info.public_key));
  auto kp = pubkey::x25519_generate();
  KW_TRY(auto kek, kdf::hkdf_sha256(hmac_output, info.salt, as_bytes(kKekInfo), kKeySize));
  Slot s;
  s.type = SlotType::fido2;
  s.label = std::move(label);
  s.public_key = kp.public_key;
  s.flags = fido2_device_enforced(info) ? kSlotFlagPresence : 0;
  Writer w;
  w.u8(kVersion);
  w.u8(static_cast<std::uint8_t>(info.uv));
  w.u8(info.cred_protect);
  w.u8(static_cast<std::uint8_t>(info.rp_id.size()));
  w.raw(info.rp_id);
  w.u16(static_cast<std::uint16_t>(info.credential_id.size()));
  w.raw(info.credential_id);
  w.raw(info.salt);
  w.raw(pub);
  KW_TRY(auto sealed, seal_slot_secret(kek, kp.secret, s.type, vid, s.public_key, w.bytes()));
  w.raw(sealed);
  s.params = w.take();
  return s;
}

}  // namespace keyward::vault

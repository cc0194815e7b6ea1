// Recovery slot (type 3): p is sealed under HKDF(recovery code). The code is 35 random Crockford
// base32 characters (175 bits) plus a 5-character checksum, printed once as 8 groups of 5.
// Params: salt(16) | sealed p (72). Holds the high key whenever the vault has one.
#include <cctype>

#include "core/hash.h"
#include "core/kdf.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/vault/slot.h"

namespace keyward::vault {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kDataChars = 35, kCheckChars = 5, kSaltSize = 16, kSealedSize = 72;

std::string checksum(std::string_view data) {
  Bytes msg = to_bytes(label::kRecoveryCheck);
  append(msg, as_bytes(data));
  auto d = hash::sha256(msg);
  std::uint32_t bits = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                       (std::uint32_t{d[2]} << 8) | d[3];
  std::string out;
  for (std::size_t i = 0; i < kCheckChars; ++i) out += kAlphabet[(bits >> (27 - 5 * i)) & 31];
  return out;
}

Result<SecretBytes> code_kek(const SecretBytes& data, ByteView salt) {
  return kdf::hkdf_sha256(data, salt, as_bytes(label::kRecovery), kKeySize);
}

class RecoveryHandler final : public SlotHandler {
 public:
  SlotType type() const override { return SlotType::recovery; }
  bool presence_capable(const Slot&) const override { return false; }
  bool holds_high(const Slot&) const override { return true; }

  Status validate(const Slot& slot) const override {
    if (slot.params.size() != kSaltSize + kSealedSize || slot.flags != 0) return opaque();
    return ok();
  }

  Result<SecretBytes> unlock(const Slot& slot, const VaultId& vid,
                             const Credential& cred) const override {
    if (cred.type != SlotType::recovery) return fail(Errc::auth_failed, "credential rejected");
    if (slot.params.size() != kSaltSize + kSealedSize) return opaque();
    ByteView params(slot.params);
    KW_TRY(auto kek, code_kek(cred.secret, params.subspan(0, kSaltSize)));
    return open_slot_secret(kek, params.subspan(kSaltSize), slot.type, vid, slot.public_key,
                            params.subspan(0, kSaltSize));
  }
};

}  // namespace

const SlotHandler& recovery_slot_handler() {
  static const RecoveryHandler h;
  return h;
}

Result<NewRecovery> new_recovery_slot(std::string label, const VaultId& vid) {
  SecretBytes data(kDataChars);
  for (std::size_t i = 0; i < kDataChars; ++i) {
    data.data()[i] = static_cast<std::uint8_t>(kAlphabet[random_uniform(32)]);
  }
  std::string full(data.reveal_string());
  full += checksum(data.reveal_string());
  NewRecovery out;
  for (std::size_t i = 0; i < full.size(); i += 5) {
    if (i != 0) out.code += '-';
    out.code += full.substr(i, 5);
  }
  secure_wipe(full.data(), full.size());

  auto kp = pubkey::x25519_generate();
  Slot& s = out.slot;
  s.type = SlotType::recovery;
  s.label = std::move(label);
  s.public_key = kp.public_key;
  Bytes salt = random_bytes(kSaltSize);
  KW_TRY(auto kek, code_kek(data, salt));
  KW_TRY(auto sealed, seal_slot_secret(kek, kp.secret, s.type, vid, s.public_key, salt));
  s.params = salt;
  append(s.params, sealed);
  return out;
}

Result<Credential> recovery_credential(std::string_view typed) {
  std::string norm;
  for (char c : typed) {
    if (c == '-' || std::isspace(static_cast<unsigned char>(c))) continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == 'O') u = '0';
    if (u == 'I' || u == 'L') u = '1';
    if (kAlphabet.find(u) == std::string_view::npos || norm.size() >= 64) {
      secure_wipe(norm.data(), norm.size());
      return fail(Errc::malformed, "the recovery code contains a character that cannot appear "
                                   "in a recovery code; check what you typed");
    }
    norm += u;
  }
  if (norm.size() != kDataChars + kCheckChars ||
      !ct_equal(std::string_view(norm).substr(kDataChars),
                checksum(std::string_view(norm).substr(0, kDataChars)))) {
    secure_wipe(norm.data(), norm.size());
    return fail(Errc::malformed, "the recovery code has a typo (its checksum does not match): "
                                 "expected 8 groups of 5 characters");
  }
  Credential c;
  c.type = SlotType::recovery;
  c.secret = SecretBytes::copy_of(std::string_view(norm).substr(0, kDataChars));
  secure_wipe(norm.data(), norm.size());
  return c;
}

}  // namespace keyward::vault

// Recipient slot (type 2): P is an age X25519 recipient (age1...); the identity
// (AGE-SECRET-KEY-1...) is presented at unlock time and never stored. Params are empty.
#include <cctype>

#include "core/bech32.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/slot.h"

namespace keyward::vault {
namespace {

class RecipientHandler final : public SlotHandler {
 public:
  SlotType type() const override { return SlotType::recipient; }
  bool presence_capable(const Slot&) const override { return false; }

  Status validate(const Slot& slot) const override {
    if (!slot.params.empty() || slot.flags != 0 || !slot.wrapped_high.empty()) return opaque();
    return ok();
  }

  Result<SecretBytes> unlock(const Slot& slot, const VaultId&,
                             const Credential& cred) const override {
    if (cred.type != SlotType::recipient || cred.secret.size() != 32) {
      return fail(Errc::auth_failed, "credential rejected");
    }
    auto pub = pubkey::x25519_public(cred.secret);
    if (!pub || !ct_equal(*pub, slot.public_key)) {
      return fail(Errc::auth_failed, "credential rejected");
    }
    return cred.secret.clone();
  }
};

}  // namespace

const SlotHandler& recipient_slot_handler() {
  static const RecipientHandler h;
  return h;
}

Result<Digest> parse_age_recipient(std::string_view text) {
  auto decoded = encoding::bech32_decode(text);
  if (!decoded || decoded->hrp != "age" || decoded->data.size() != 32) {
    return fail(Errc::malformed, "not an age X25519 recipient (expected age1... )");
  }
  return to_array<32>(decoded->data);
}

Result<std::string> format_age_recipient(const Digest& pub) {
  return encoding::bech32_encode("age", pub);
}

Result<Credential> identity_credential(std::string_view text) {
  // Accept an identity file's contents: skip comments and blank lines, take the first identity.
  std::string_view line;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.remove_suffix(1);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.remove_prefix(1);
    if (l.empty() || l.front() == '#') continue;
    line = l;
    break;
  }
  auto decoded = encoding::bech32_decode(line);
  if (!decoded || decoded->hrp != "age-secret-key-" || decoded->data.size() != 32) {
    return fail(Errc::malformed,
                "not an age X25519 identity (expected AGE-SECRET-KEY-1... or an identity file)");
  }
  Credential c;
  c.type = SlotType::recipient;
  c.secret = SecretBytes::copy_of(decoded->data);
  secure_wipe(decoded->data.data(), decoded->data.size());
  return c;
}

Result<Slot> new_recipient_slot(std::string label, std::string_view age_recipient) {
  KW_TRY(auto pub, parse_age_recipient(age_recipient));
  Slot s;
  s.type = SlotType::recipient;
  s.label = std::move(label);
  s.public_key = pub;
  return s;
}

}  // namespace keyward::vault

#include "hw/piv_agent.h"

namespace keyward::hw {
namespace {

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}

constexpr auto kTouchAlways = static_cast<std::uint8_t>(vault::PivTouchPolicy::always);
constexpr auto kTouchCached = static_cast<std::uint8_t>(vault::PivTouchPolicy::cached);
constexpr auto kPinNever = static_cast<std::uint8_t>(vault::PivPinPolicy::never);
constexpr auto kPinAlways = static_cast<std::uint8_t>(vault::PivPinPolicy::always);

Result<PivKeyMetadata> slot_key(PivCard& card, const vault::PivKeyInfo& key, bool why) {
  KW_TRY(auto md, card.key_metadata(key.key_ref));
  if (!md || md->public_key != key.card_public) {
    return fail(Errc::device, card.name() + " no longer holds this slot's key in PIV slot " +
                                  hex2(key.key_ref) +
                                  (why ? " (wrong card, or the key was replaced or the card reset)"
                                       : ""));
  }
  return std::move(*md);
}

}  // namespace

Result<SecretBytes> PivAgent::ecdh(const vault::PivKeyInfo& key, std::string_view label,
                                   ByteView peer) {
  if (stop_) return fail(Errc::auth_failed, "credential rejected");
  wanted_.push_back(std::to_string(key.serial) + " (slot '" + std::string(label) + "')");
  auto r = attempt(key, peer);
  if (r) return r;
  if (r.error().code != Errc::not_found) {  // card absent: let the next slot try
    decisive_ = r.error();
    stop_ = true;
  }
  return fail(Errc::auth_failed, "credential rejected");
}

Result<SecretBytes> PivAgent::attempt(const vault::PivKeyInfo& key, ByteView peer) {
  KW_TRY(auto* card, session_.card(key.serial));
  KW_TRY(auto md, slot_key(*card, key, true));
  if (md.pin_policy != kPinNever) KW_TRY_STATUS(session_.verify_pin(*card));
  if (md.touch_policy == kTouchAlways) {
    session_.ui().notice("Touch your " + card->name() + " to unlock vault " + vault_);
  } else if (md.touch_policy == kTouchCached) {
    session_.ui().notice("Touch your " + card->name() + " if it blinks, to unlock vault " + vault_);
  }
  auto shared = card->ecdh(key.key_ref, peer);
  if (shared) answered_by_ = card->name();
  return shared;
}

Result<SecretBytes> PivAgent::gate_ecdh(const vault::PivKeyInfo& key, std::string_view label,
                                        ByteView peer, const vault::PivAsk& ask) {
  auto card = session_.card(key.serial);
  if (!card) {
    if (card.error().code == Errc::not_found) {
      return fail(Errc::device, "YubiKey " + std::to_string(key.serial) + " (slot '" +
                                    std::string(label) + "') is not connected");
    }
    return tl::unexpected(card.error());
  }
  KW_TRY(auto md, slot_key(**card, key, false));
  // The card's own policy, not only the enrolled one, must make it ask for the touch/PIN.
  if (md.touch_policy != kTouchAlways) {
    return fail(Errc::policy, "the key in PIV slot " + hex2(key.key_ref) + " of " +
                                  (*card)->name() + " does not require a touch for every use");
  }
  if (ask.verify && md.pin_policy != kPinAlways) {
    return fail(Errc::policy, "the key in PIV slot " + hex2(key.key_ref) + " of " +
                                  (*card)->name() + " does not have PIN policy always");
  }
  if (md.pin_policy != kPinNever) KW_TRY_STATUS(session_.verify_pin(**card));
  session_.ui().notice("keyward: touch your " + (*card)->name() + " to " + ask.purpose);
  return (*card)->ecdh(key.key_ref, peer);
}

Error PivAgent::explain(const Error& original) const {
  if (decisive_) return *decisive_;
  if (wanted_.empty()) return original;
  std::string need;
  for (std::size_t i = 0; i < wanted_.size(); ++i) need += (i ? " or " : "") + wanted_[i];
  const std::string seen = session_.readers_seen();
  const std::string unreadable = session_.unreadable_readers();
  if (!unreadable.empty()) {
    return Error{Errc::device, "the YubiKey with serial " + need + " was not found, and the card "
                               "in " + unreadable + " could not be read: remove and re-insert "
                               "it (`ykman piv info` shows whether it works); readers seen: " +
                                   seen};
  }
  return Error{Errc::device, "no YubiKey of this vault is connected: insert the one with "
                             "serial " + need + "; readers seen: " +
                                 (seen.empty() ? "none" : seen)};
}

}  // namespace keyward::hw

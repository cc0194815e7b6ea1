#include "hw/piv_session.h"

namespace keyward::hw {

Status PivSession::list_readers() {
  if (listed_) return ok();
  listed_ = true;
  KW_TRY(readers_, pcsc_readers());
  return ok();
}

Result<PivCard*> PivSession::card(std::uint32_t serial) {
  for (auto& c : cards_) {
    if (c->serial() == serial) return c.get();
  }
  KW_TRY_STATUS(list_readers());
  if (readers_.empty()) {
    return fail(Errc::device, "no smart-card reader found: plug in your YubiKey (if it is plugged "
                              "in, check `lsusb` and `journalctl -u pcscd`)");
  }
  while (next_reader_ < readers_.size()) {
    const std::string& r = readers_[next_reader_++];
    auto c = PivCard::connect(r);
    Seen& what = seen_[r];
    if (!c) {
      auto present = pcsc_card_present(r);
      what.present = present && *present;
      what.error = c.error().message;
      continue;
    }
    what.serial = (*c)->serial();
    cards_.push_back(std::move(*c));
    if (cards_.back()->serial() == serial) return cards_.back().get();
  }
  return fail(Errc::not_found, "card " + std::to_string(serial) + " not present");
}

Result<PivCard*> PivSession::only_card(std::uint32_t serial) {
  if (serial != 0) {
    auto c = card(serial);
    if (c || c.error().code != Errc::not_found) return c;
    std::string cards;
    for (const auto& k : cards_) cards += (cards.empty() ? "" : ", ") + std::to_string(k->serial());
    return fail(Errc::device, "YubiKey " + std::to_string(serial) + " is not connected (cards seen: " +
                                  (cards.empty() ? "none" : cards) + ")");
  }
  // Every reader: with several cards the user must choose.
  auto none = card(0);  // serial 0 never matches: connects every reader
  if (!none && none.error().code != Errc::not_found) return none;
  if (cards_.empty()) return fail(Errc::device, "no PIV card found: plug in your YubiKey");
  if (cards_.size() > 1) {
    std::string cards;
    for (const auto& k : cards_) cards += (cards.empty() ? "" : ", ") + std::to_string(k->serial());
    return fail(Errc::invalid_argument, "several YubiKeys are connected (" + cards +
                                            "): choose one with --serial");
  }
  return cards_.front().get();
}

Status PivSession::check_pin_retries(PivCard& c) {
  KW_TRY(int tries, c.pin_retries());
  if (tries == 0) {
    return fail(Errc::pin_blocked, "the PIV PIN of " + c.name() +
                                       " is blocked; unblock it with the PUK "
                                       "(`yubico-piv-tool -a unblock-pin`)");
  }
  if (tries == 1 && !allow_last_try_) {
    return fail(Errc::policy, "only one PIV PIN try is left on " + c.name() +
                                  "; a wrong PIN now blocks it. Pass --allow-last-pin-try to "
                                  "use it anyway");
  }
  return ok();
}

Result<SecretBytes> PivSession::pin(PivCard& c) {
  auto it = pins_.find(c.serial());
  if (it != pins_.end()) return it->second.clone();
  KW_TRY(auto p, ui_.secret(Asked::piv_pin, c.name()));
  pins_.emplace(c.serial(), p.clone());
  return p;
}

Status PivSession::verify_pin(PivCard& c) {
  KW_TRY_STATUS(check_pin_retries(c));
  KW_TRY(auto p, pin(c));
  auto st = c.verify_pin(p);
  if (!st) pins_.erase(c.serial());
  return st;
}

void PivSession::remember_pin(PivCard& c, SecretBytes p) {
  pins_.erase(c.serial());
  pins_.emplace(c.serial(), std::move(p));
}

std::string PivSession::readers_seen() const {
  std::string seen;
  for (const auto& [reader, what] : seen_) {
    std::string state;
    if (what.serial) {
      state = "card " + std::to_string(*what.serial);
    } else if (what.present) {
      state = "a card that does not answer as a YubiKey's PIV application: " + what.error;
    } else {
      state = "empty";
    }
    seen += (seen.empty() ? "" : ", ") + std::string("'") + reader + "' (" + state + ")";
  }
  return seen;
}

std::string PivSession::unreadable_readers() const {
  std::string out;
  for (const auto& [reader, what] : seen_) {
    if (!what.serial && what.present) out += (out.empty() ? "'" : ", '") + reader + "'";
  }
  return out;
}

}  // namespace keyward::hw

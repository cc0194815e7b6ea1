// One PC/SC session per command: the PIV cards a command talks to, connected lazily in reader
// order and kept, so unlock, the presence gate, enrolment and package opening use the same card
// handles, the same PIN (asked once per card through the Interaction) and the one PIN-retry
// policy: a blocked PIN is said as such, the last try is spent only when the user allowed it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/interaction.h"
#include "core/secret.h"
#include "hw/piv_card.h"

namespace keyward::hw {

class PivSession {
 public:
  PivSession(Interaction& ui, bool allow_last_pin_try) : ui_(ui), allow_last_try_(allow_last_pin_try) {}
  PivSession(const PivSession&) = delete;
  PivSession& operator=(const PivSession&) = delete;

  Interaction& ui() { return ui_; }

  // The card with `serial`: readers are tried in order until it answers (with several cards
  // plugged in, the ones after it are never talked to). Errc::not_found when no reader holds
  // it, Errc::device when there is no reader at all.
  Result<PivCard*> card(std::uint32_t serial);
  // Enrolment: the card with `serial`, or (serial 0) the only card connected; the error names
  // the cards seen.
  Result<PivCard*> only_card(std::uint32_t serial);

  // The retry policy, before any PIN is sent: Errc::pin_blocked at 0 tries (with the unblock
  // command), Errc::policy at 1 unless the user allowed the last try.
  Status check_pin_retries(PivCard& card);
  // The PIN of `card` (asked once per card and kept, locked, for this session).
  Result<SecretBytes> pin(PivCard& card);
  // check_pin_retries, then VERIFY with pin(card). A wrong PIN is forgotten (never re-sent).
  Status verify_pin(PivCard& card);
  // After enrolment changed the PIN: the value to use from now on.
  void remember_pin(PivCard& card, SecretBytes pin);

  // The readers seen and what they held ("'Yubico YubiKey' (card 12345678)", "... (empty)",
  // or a card that does not answer as a PIV card); empty before any lookup.
  std::string readers_seen() const;
  // Readers holding a card that did not answer as a YubiKey's PIV application.
  std::string unreadable_readers() const;

 private:
  Status list_readers();

  Interaction& ui_;
  bool allow_last_try_;
  bool listed_ = false;
  std::vector<std::string> readers_;
  std::size_t next_reader_ = 0;
  struct Seen {
    std::optional<std::uint32_t> serial;  // a PIV card answered with this serial
    bool present = false;                 // else: whether pcscd sees a card at all
    std::string error;                    // and why it could not be used
  };
  std::map<std::string, Seen> seen_;
  std::vector<std::unique_ptr<PivCard>> cards_;
  std::map<std::uint32_t, SecretBytes> pins_;
};

}  // namespace keyward::hw

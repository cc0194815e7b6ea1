// The PivKeyAgent PIV slots and the presence gate call (core/vault/slot_piv.h), over one
// PivSession: find the card by serial, check that it still holds the slot's key with the
// policies the slot needs, verify the PIN, say what the touch is for, do the ECDH.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/vault/slot_piv.h"
#include "hw/piv_session.h"

namespace keyward::hw {

class PivAgent final : public vault::PivKeyAgent {
 public:
  PivAgent(PivSession& session, std::string vault_name)
      : session_(session), vault_(std::move(vault_name)) {}

  // Unlock: tried slot after slot. An absent card lets the next slot try; a decisive failure
  // (wrong PIN, touch refused, replaced key) stops every further prompt and touch.
  Result<SecretBytes> ecdh(const vault::PivKeyInfo& key, std::string_view slot_label,
                           ByteView peer) override;
  // The presence gate: the real error (Errc::device when the card is absent), the card's own
  // policies checked, a prompt that says what the touch releases.
  Result<SecretBytes> gate_ecdh(const vault::PivKeyInfo& key, std::string_view slot_label,
                                ByteView peer, const vault::PivAsk& ask) override;

  // After a failed unlock: the most useful error seen (card absent with the readers seen,
  // wrong PIN, touch refused ...), or `original`.
  Error explain(const Error& original) const;
  // The card that answered the last successful unlock ECDH (for `slot list`'s "last used").
  const std::string& answered_by() const { return answered_by_; }

 private:
  Result<SecretBytes> attempt(const vault::PivKeyInfo& key, ByteView peer);

  PivSession& session_;
  std::string vault_;
  bool stop_ = false;
  std::optional<Error> decisive_;
  std::vector<std::string> wanted_;
  std::string answered_by_;
};

}  // namespace keyward::hw

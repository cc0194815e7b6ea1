// Enrolment of a PIV slot (`keyward slot add piv`): choose the card, replace factory
// credentials (guided), generate or adopt a P-256 key with the chosen policies, verify the
// attestation, and make the slot. Every question and notice goes through the session's
// Interaction; nothing on the card changes before every input has been read and checked.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/secret.h"
#include "core/vault/slot.h"
#include "core/vault/slot_piv.h"
#include "hw/piv_session.h"

namespace keyward::hw {

struct PivEnrolOptions {
  std::uint32_t serial = 0;             // 0: the only card connected
  std::optional<std::uint8_t> key_ref;  // none: the first free retired slot
  vault::PivTouchPolicy touch = vault::PivTouchPolicy::always;
  vault::PivPinPolicy pin = vault::PivPinPolicy::once;
  std::optional<SecretBytes> management_key;  // raw key bytes; none: PIN-protected or factory
  std::string trust_ca;                        // PEM root(s); empty only with skip_attestation
  bool trust_is_simulator = false;             // trust_ca is the simulator's CA (tests)
  bool new_pin_given = false;  // the new PIN / PUK come without a question (a file)
  bool new_puk_given = false;
  bool allow_defaults = false;  // keep factory credentials (tests only)
  bool skip_attestation = false;
  bool adopt = false;  // use the key already in key_ref
};

struct EnrolledSlot {
  std::string device;  // the card's name
};

// Receives the new slot once the card holds its key, and stores it (Vault::add_slot). When it
// fails, the enrolment deletes the key it generated (firmware 5.7+) and its error says what
// state the card is left in.
using CommitSlot = std::function<Status(vault::Slot)>;

// Everything that can fail without the card (options, the trust store, the vault's own checks,
// which the caller runs first) fails before the card is changed. After a change, a failure
// (attestation mismatch, the commit) undoes the key generation and names what stays changed
// (a replaced PIN, PUK or management key is kept: the user chose them).
Result<EnrolledSlot> enrol_piv_slot(PivSession& session, const PivEnrolOptions& o,
                                    const std::string& label, const vault::VaultId& vid,
                                    const CommitSlot& commit);

}  // namespace keyward::hw

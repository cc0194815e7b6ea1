// Enrolment of a PIV slot (`keyward slot add piv`): choose the card, replace factory
// credentials (guided), generate or adopt a P-256 key with the chosen policies, verify the
// attestation, and make the slot. Every question and notice goes through the session's
// Interaction; nothing on the card changes before every input has been read and checked.
#pragma once

#include <cstdint>
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
  vault::Slot slot;
  std::string device;  // the card's name
};

Result<EnrolledSlot> enrol_piv_slot(PivSession& session, const PivEnrolOptions& o,
                                    const std::string& label, const vault::VaultId& vid);

}  // namespace keyward::hw

// Enrolment of a FIDO2 slot (`keyward slot add fido2`): a new credential on one authenticator
// (credProtect 3 + UV for slots that may hold the high key; unlock-only with uv=discouraged),
// its hmac-secret output for a fresh salt, and the slot made from it. What the slot will and
// will not be able to do is said through the Interaction before the device is touched.
#pragma once

#include <functional>
#include <string>

#include "core/interaction.h"
#include "core/vault/slot.h"
#include "core/vault/slot_fido2.h"

namespace keyward::hw {

inline constexpr const char* kFido2RpId = "keyward.vault";

struct Fido2EnrolOptions {
  std::string device;  // empty: the only authenticator (fido2_device_list)
  vault::Fido2Uv uv = vault::Fido2Uv::required;
};

struct EnrolledFido2 {
  std::string device;     // the authenticator's name
  bool fingerprint = false;  // UV was given by a fingerprint (built-in UV), not the PIN
};

// Receives the new slot and stores it (Vault::add_slot).
using CommitFido2Slot = std::function<Status(vault::Slot)>;

// Every check that needs no touch runs first. The credential is non-discoverable (rk=false): a
// failure after it was made leaves nothing on the authenticator, and the error says so.
Result<EnrolledFido2> enrol_fido2_slot(Interaction& ui, const Fido2EnrolOptions& o,
                                       const std::string& label, const vault::VaultId& vid,
                                       const CommitFido2Slot& commit);

}  // namespace keyward::hw

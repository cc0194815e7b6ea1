// What is plugged in, for `keyward doctor`: the PC/SC readers with the PIV facts of the card in
// each (serial, firmware, keys and their policies, PIN tries, factory credentials), and the
// FIDO2 authenticators that can be opened. Read-only: no PIN is sent, nothing is touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "hw/fido2_device.h"  // fido2_library(): whether libfido2 could be loaded
#include "hw/piv_card.h"

namespace keyward::hw {

struct PivKeyFacts {
  std::uint8_t key_ref = 0;
  PivKeyMetadata metadata;
};

struct PivCardFacts {
  std::string name;
  std::uint32_t serial = 0;
  std::string firmware;
  bool simulated = false;
  std::vector<PivKeyFacts> keys;          // 9a 9c 9d 9e, then 82..95; only slots with a key
  int pin_tries = -1;                     // -1: the card did not say
  std::optional<PivCredentialState> credentials;
};

struct ReaderFacts {
  std::string name;
  std::optional<PivCardFacts> card;  // none: empty, or not a PIV card
};

// Errc::unavailable when pcscd cannot be reached.
Result<std::vector<ReaderFacts>> piv_inventory();

struct Fido2Facts {
  std::string path;
  bool opened = false;
  std::string error;  // why it could not be opened
};

// Every authenticator libfido2 finds plus those in KEYWARD_FIDO2_DEVICES (the simulator).
std::vector<Fido2Facts> fido2_inventory();

}  // namespace keyward::hw

// Verification of a YubiKey PIV attestation (Yubico's scheme): the attestation certificate for a
// key slot is signed by the card's F9 attestation key, whose certificate chains to a trusted
// root. It states the key was generated on the card and carries the card's serial
// (1.3.6.1.4.1.41482.3.7) and the key's PIN/touch policy (1.3.6.1.4.1.41482.3.8).
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::piv {

struct AttestedKey {
  Bytes public_key;  // SEC1 uncompressed
  std::uint32_t serial = 0;
  std::uint8_t pin_policy = 0;
  std::uint8_t touch_policy = 0;
  std::string firmware;  // "5.4.3"
};

// Verifies attestation (DER) <- f9 (DER) <- a root in trusted_pem (PEM file, one or more
// certificates). Errc::integrity when the chain or the certificates do not verify.
Result<AttestedKey> verify_attestation(ByteView attestation_der, ByteView f9_der,
                                       const std::string& trusted_pem_path);

}  // namespace keyward::piv

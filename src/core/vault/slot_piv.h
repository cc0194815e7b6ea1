// PIV slot (type 4): the slot's X25519 secret p is sealed under a key agreed with a P-256 key that
// lives on a PIV card (YubiKey). Core never talks to the card: at unlock it asks the PivKeyAgent
// the credential carries (Credential::devices; src/hw/piv_agent implements it over libykpiv) for
// the ECDH x-coordinate between the card key and the slot's ephemeral public key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/vault/slot.h"

namespace keyward::vault {

// Values as on the card (YKPIV_PINPOLICY_* / YKPIV_TOUCHPOLICY_*).
enum class PivPinPolicy : std::uint8_t { never = 1, once = 2, always = 3 };
enum class PivTouchPolicy : std::uint8_t { never = 1, always = 2, cached = 3 };
enum class PivAttestation : std::uint8_t {
  unverified = 0,          // enrolled with --skip-attestation
  verified = 1,            // chain to a configured real root
  verified_simulator = 2,  // chain to the simulator's CA, explicitly trusted (tests, quickstart)
};

std::string_view piv_pin_policy_name(PivPinPolicy p) noexcept;
std::string_view piv_touch_policy_name(PivTouchPolicy t) noexcept;
std::string_view piv_attestation_name(PivAttestation a) noexcept;

struct PivKeyInfo {
  std::uint32_t serial = 0;
  std::uint8_t key_ref = 0x82;  // PIV key reference: 0x82..0x95 (retired) or 0x9d
  PivPinPolicy pin = PivPinPolicy::once;
  PivTouchPolicy touch = PivTouchPolicy::always;
  PivAttestation attestation = PivAttestation::unverified;
  Bytes card_public;  // SEC1 uncompressed, 65 bytes
};

bool valid_piv_key_ref(std::uint8_t ref) noexcept;

// The public description of a PIV slot (from its parameters).
Result<PivKeyInfo> piv_key_info(const Slot& slot);

// A new PIV slot for the card key described by `info` (no card access needed: the ephemeral
// key agreement is done here with the card's public key). Presence-capable iff touch = always.
Result<Slot> new_piv_slot(std::string label, const PivKeyInfo& info, const VaultId& vid);

// Performs ECDH with the card key: returns the 32-byte x-coordinate of d_card * peer.
// Errors are the program's to describe (device, auth_failed, pin_blocked, presence ...).
// What a presence-gate ECDH is for (core/gate): the prompt text, and whether `verify` (PIN policy
// always, PIN + touch) is required.
struct PivAsk {
  std::string purpose;
  bool verify = false;
};

class PivKeyAgent {
 public:
  virtual ~PivKeyAgent() = default;
  virtual Result<SecretBytes> ecdh(const PivKeyInfo& key, std::string_view slot_label,
                                   ByteView peer_uncompressed) = 0;
  // The presence gate's ECDH. The error is the real one: Errc::device when the card is not
  // connected (the gate tries its next slot); presence/PIN errors deny.
  virtual Result<SecretBytes> gate_ecdh(const PivKeyInfo& key, std::string_view slot_label,
                                        ByteView peer_uncompressed, const PivAsk& ask) {
    (void)ask;
    return ecdh(key, slot_label, peer_uncompressed);
  }
};
// The presence gate's use of a PIV slot: one ECDH with the card key (through gate_ecdh) opens
// the slot's X25519 secret. Refuses slots whose touch policy is not `always` (and, for
// ask.verify, whose PIN policy is not `always`) before touching the card. `agent` nullptr:
// unsupported (this program cannot talk to PIV cards).
Result<SecretBytes> piv_gate_slot_secret(const Slot& slot, const VaultId& vid, const PivAsk& ask,
                                         PivKeyAgent* agent);

const SlotHandler& piv_slot_handler();

}  // namespace keyward::vault

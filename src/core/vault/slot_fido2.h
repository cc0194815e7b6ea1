// FIDO2 slot (type 5): the slot's X25519 secret p is sealed under a key derived from the
// hmac-secret output of a FIDO2 credential. Core never talks to the authenticator: at unlock it
// asks the Fido2Agent the credential carries (Credential::devices;
// src/hw/fido2_agent over libfido2) for one getAssertion with hmac-secret and
// checks the assertion itself (rp id hash, UP/UV flags, signature by the stored public key over
// a fresh client-data hash).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/vault/slot.h"

namespace keyward::vault {

enum class Fido2Uv : std::uint8_t { required = 1, preferred = 2, discouraged = 3 };
std::string_view fido2_uv_name(Fido2Uv uv) noexcept;

struct Fido2CredInfo {
  Fido2Uv uv = Fido2Uv::discouraged;
  std::uint8_t cred_protect = 2;  // 2: userVerificationOptionalWithCredentialIDList, 3: required
  std::string rp_id;
  Bytes credential_id;
  Bytes salt;        // 32 bytes, the hmac-secret salt
  Bytes public_key;  // SEC1 uncompressed P-256 (COSE ES256 credential key)
};

struct Fido2Assertion {
  SecretBytes hmac_output;  // 32 bytes
  Bytes auth_data;          // raw authenticator data
  Bytes signature;          // DER ECDSA over auth_data || client_data_hash
};

// What a presence-gate assertion is for (core/gate): the text the device prompt shows ("release
// 2 high secret(s) for `keyward run ...`") and whether user verification (PIN) is requested.
struct Fido2Ask {
  std::string purpose;
  bool uv = false;
};

class Fido2Agent {
 public:
  virtual ~Fido2Agent() = default;
  virtual Result<Fido2Assertion> get_assertion(const Fido2CredInfo& cred,
                                               std::string_view slot_label,
                                               ByteView client_data_hash) = 0;
  // The presence gate's assertion. Unlike get_assertion (tried slot after slot at unlock), the
  // error is the real one: Errc::device when no connected authenticator holds the credential
  // (the gate then tries its next slot), presence/auth_failed/pin errors deny.
  virtual Result<Fido2Assertion> gate_assertion(const Fido2CredInfo& cred,
                                                std::string_view slot_label,
                                                ByteView client_data_hash, const Fido2Ask& ask) {
    (void)ask;
    return get_assertion(cred, slot_label, client_data_hash);
  }
};

// Checks an assertion against the enrolled credential: authData at least 37 bytes, rp id hash,
// UP set, UV set when `require_uv` (or the credential requires it), ECDSA signature by the
// credential key over authData || client_data_hash. Returns the flags and signature counter.
struct Fido2Verified {
  std::uint8_t flags = 0;
  std::uint32_t counter = 0;
};
inline constexpr std::uint8_t kFido2FlagUp = 0x01, kFido2FlagUv = 0x04;
Result<Fido2Verified> fido2_verify_assertion(const Fido2CredInfo& info, const Fido2Assertion& a,
                                             ByteView client_data_hash, bool require_uv);
// Opens the slot's X25519 secret with the credential's hmac-secret output.
Result<SecretBytes> fido2_open_slot_secret(const Slot& slot, const VaultId& vid,
                                           const SecretBytes& hmac_output);

Result<Fido2CredInfo> fido2_cred_info(const Slot& slot);
// Whether the authenticator itself refuses this credential's hmac-secret output without user
// verification (uv required + credProtect 3): the only FIDO2 slots that receive the high key.
bool fido2_device_enforced(const Fido2CredInfo& info) noexcept;
// A FIDO2 slot that holds H although its authenticator does not enforce UV (enrolled before
// H went only to device-enforced slots): any same-user process can derive H from it with an
// up=false assertion. `keyward vault repair` strips H from such slots and rotates H.
bool fido2_legacy_high(const Slot& slot);
// A new FIDO2 slot; `hmac_output` is the credential's hmac-secret output for info.salt.
Result<Slot> new_fido2_slot(std::string label, const Fido2CredInfo& info,
                            const SecretBytes& hmac_output, const VaultId& vid);

const SlotHandler& fido2_slot_handler();

}  // namespace keyward::vault

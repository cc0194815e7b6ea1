// A PIV card (YubiKey) reached over PC/SC through pcscd, driven with libykpiv. This header is
// free of vendor headers so the CLI can use it; libykpiv/winscard stay in src/hw/*.cpp. Every
// libykpiv/PC-SC status is translated into a keyward Error once, here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::hw {

// Management-key algorithms: GENERAL AUTHENTICATE P1 for slot 9B, GET METADATA 9B tag 01.
// Firmware before 5.4 knows only 3DES; 5.4+ also AES; 5.7+ ships with an AES-192 default key
// (the same default bytes 0102..08 three times).
inline constexpr std::uint8_t kPivMgmtTdes = 0x03;
inline constexpr std::uint8_t kPivMgmtAes128 = 0x08;
inline constexpr std::uint8_t kPivMgmtAes192 = 0x0A;
inline constexpr std::uint8_t kPivMgmtAes256 = 0x0C;
// Key length in bytes (24, 16, 24, 32), 0 for an unknown algorithm.
std::size_t piv_mgmt_key_length(std::uint8_t algorithm);
// "3DES", "AES-128", "AES-192", "AES-256", or "algorithm 0xNN".
std::string piv_mgmt_algorithm_name(std::uint8_t algorithm);

struct PivKeyMetadata {
  std::uint8_t algorithm = 0;     // YKPIV_ALGO_* (0x11 = P-256)
  std::uint8_t pin_policy = 0;    // 1 never, 2 once, 3 always
  std::uint8_t touch_policy = 0;  // 1 never, 2 always, 3 cached
  bool generated = false;         // origin: generated on the card (not imported)
  Bytes public_key;               // SEC1 uncompressed
};

// The card's PIV credentials: which still have their factory values (GET METADATA, firmware
// 5.3+; `known` false on older cards, where only the PIN typed can be compared), and whether the
// management key is PIN-protected (stored in the PIN-gated printed-information object, flagged in
// the admin-data object: the YubiKey Manager / libykpiv convention).
struct PivCredentialState {
  bool known = false;
  bool pin_default = false;
  bool puk_default = false;
  bool mgmt_default = false;
  bool mgmt_protected = false;
  std::uint8_t mgmt_algorithm = kPivMgmtTdes;  // from the metadata; 3DES when `known` is false
};

// Readers pcscd knows. Errc::unavailable "pcscd is not running ...", or an empty list.
Result<std::vector<std::string>> pcsc_readers();
// Whether pcscd sees a card in `reader` (SCARD_STATE_PRESENT), whatever the card answers.
Result<bool> pcsc_card_present(const std::string& reader);

class PivCard {
 public:
  ~PivCard();
  PivCard(const PivCard&) = delete;
  PivCard& operator=(const PivCard&) = delete;

  // Connects to the card in `reader` (exact name). Errc::device if no card answers.
  static Result<std::unique_ptr<PivCard>> connect(const std::string& reader);

  std::uint32_t serial() const { return serial_; }
  const std::string& reader() const { return reader_; }
  const std::string& firmware() const { return firmware_; }
  // True for the keyward-hwsim virtual cards (reader "Virtual PCD ..."), for messages.
  bool simulated() const;
  // "YubiKey 20000001" or "YubiKey 20000001 (simulated)".
  std::string name() const;

  // PIN tries left, 0 = blocked: GET METADATA of the PIN (firmware 5.3+, one APDU); older cards
  // through libykpiv, which un-verifies a verified PIN.
  Result<int> pin_retries();
  // Wrong PIN: auth_failed naming the tries left; blocked: pin_blocked.
  Status verify_pin(const SecretBytes& pin);
  // Algorithm of the management key: GET METADATA 9B (firmware 5.3+), else 3DES. Cached.
  Result<std::uint8_t> management_key_algorithm();
  // Authenticates with the management key in the card's algorithm (3DES through libykpiv, AES
  // through GENERAL AUTHENTICATE APDUs); empty = the factory default key. A key of the wrong
  // length for the algorithm: invalid_argument; a wrong key: auth_failed.
  Status authenticate(ByteView management_key);
  // Default flags of PIN, PUK and management key; does not touch the PIN verification state.
  Result<PivCredentialState> credential_state();
  // CHANGE REFERENCE DATA for the PIN / the PUK (6..8 characters each). Wrong current value:
  // auth_failed with the tries left; blocked: pin_blocked.
  Status change_pin(const SecretBytes& current, const SecretBytes& next);
  Status change_puk(const SecretBytes& current, const SecretBytes& next);
  // Needs authenticate() and a verified PIN: sets a fresh random management key of the card's
  // current algorithm (3DES: ykpiv_util_set_protected_mgm; AES: SET MANAGEMENT KEY) and stores it
  // PIN-protected on the card (printed-information object 88 { 89 key } + admin-data flag, as
  // libykpiv and YubiKey Manager do), then reads it back to make sure the card can give it out
  // again (AES: and authenticates with it).
  Status set_random_protected_management_key();
  // Needs a verified PIN: authenticates with the PIN-protected management key.
  Status authenticate_protected();
  // Metadata of a key slot; nullopt if the slot is empty.
  Result<std::optional<PivKeyMetadata>> key_metadata(std::uint8_t key_ref);
  // Generates a P-256 key (needs authenticate()); returns the public point.
  Result<Bytes> generate_p256(std::uint8_t key_ref, std::uint8_t pin_policy,
                              std::uint8_t touch_policy);
  // Deletes the key in key_ref (needs authenticate(); firmware 5.7+: unsupported before).
  Status delete_key(std::uint8_t key_ref);
  // Attestation certificate (DER) of a generated key, and the card's F9 certificate (DER).
  Result<Bytes> attest(std::uint8_t key_ref);
  Result<Bytes> attestation_certificate();
  // ECDH with the key in key_ref: 32-byte x-coordinate. Touch refused/timed out: presence;
  // card removed: device.
  Result<SecretBytes> ecdh(std::uint8_t key_ref, ByteView peer_uncompressed);

 private:
  PivCard() = default;
  Error translate(int rc, const std::string& what) const;
  // AES mutual authentication (GENERAL AUTHENTICATE, 16-byte witness and challenge).
  Status authenticate_aes(std::uint8_t algorithm, ByteView key, const std::string& which);
  // The key in the PIN-protected printed-information object (needs a verified PIN).
  Result<SecretBytes> read_protected_key();
  Status set_random_protected_aes_key(std::uint8_t algorithm);
  std::optional<std::uint8_t> mgmt_algorithm_;
  void* state_ = nullptr;  // ykpiv_state*
  std::uint32_t serial_ = 0;
  std::string reader_;
  std::string firmware_;
};

}  // namespace keyward::hw

// Virtual PIV card with YubiKey 5 behaviour (firmware 5.4.3, or 5.7.1 with the "5.7" profile):
// the APDU processor behind vpcd.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "crypto.h"
#include "presence.h"

namespace hwsim {

// The simulator's attestation root: signs each card's F9 attestation certificate.
struct AttestationCa {
  std::optional<EcKey> key;
  X509Ptr cert;
  // Loads <dir>/attestation-ca.{key.pem,pem} or creates them.
  static AttestationCa load_or_create(const std::string& dir);
};

// Management-key algorithms (GENERAL AUTHENTICATE P1 for slot 9B, SET MANAGEMENT KEY, metadata).
constexpr std::uint8_t kMgmtTdes = 0x03, kMgmtAes128 = 0x08, kMgmtAes192 = 0x0A, kMgmtAes256 = 0x0C;
// Key length of a management-key algorithm, 0 if unknown.
std::size_t mgmt_key_length(std::uint8_t alg);

// What a factory-new card looks like: firmware version and the algorithm of the default
// management key (same default bytes 0102..08 x3 for both). "5.4" (default): 5.4.3, 3DES;
// "5.7": 5.7.1, AES-192 (YubiKey firmware 5.7 and later ship with an AES-192 default key).
struct PivProfile {
  std::string name;
  Bytes firmware;
  std::uint8_t default_mgmt_alg = kMgmtTdes;
  static std::optional<PivProfile> named(const std::string& name);
};

struct PivKey {
  std::uint8_t alg = 0;  // 0x11 P-256, 0x14 P-384
  Bytes scalar;
  std::uint8_t pin_policy = 1;
  std::uint8_t touch_policy = 1;
  std::uint8_t origin = 1;  // 1 generated, 2 imported
};

// The management application's user-settable device configuration (YubiKey 5 "DeviceConfig",
// INS 1C WRITE CONFIG). Capability bits as yubikit's CAPABILITY: OTP 01, U2F 02, OpenPGP 08,
// PIV 10, OATH 20, YubiHSM Auth 100, FIDO2 200.
constexpr std::uint16_t kCapsYubiKey5Nfc = 0x033B;  // what a YubiKey 5 NFC supports (USB and NFC)
constexpr std::uint16_t kCapPiv = 0x0010;
struct DeviceConfig {
  std::uint16_t usb_enabled = kCapsYubiKey5Nfc;
  std::uint16_t nfc_enabled = kCapsYubiKey5Nfc;
  std::uint16_t auto_eject_timeout = 0;
  std::uint8_t chalresp_timeout = 15;
  std::uint8_t device_flags = 0;
  Bytes lock_code;  // 16 bytes when the configuration is locked, else empty
};

struct PivState {
  std::uint32_t serial = 0;
  DeviceConfig device;
  Bytes pin, puk;
  int pin_total = 3, pin_left = 3, puk_total = 3, puk_left = 3;
  bool pin_default = true, puk_default = true;
  Bytes firmware = {5, 4, 3};
  Bytes mgmt_key;
  std::uint8_t mgmt_alg = kMgmtTdes;
  bool mgmt_touch = false, mgmt_default = true;
  std::map<std::uint8_t, PivKey> keys;
  std::map<std::uint32_t, Bytes> objects;
};

class PivCard {
 public:
  // A fresh state (no file at state_path) starts as `profile` says; a loaded state keeps its
  // firmware. `profile` is also what factory_reset() without a profile returns to.
  PivCard(std::string state_path, std::uint32_t serial, Presence& presence, const AttestationCa& ca,
          PivProfile profile);

  // Processes one C-APDU. nullopt means the card was pulled out mid-operation (no reply).
  std::optional<Bytes> transmit(const Bytes& apdu);
  // vpcd power off / power on / warm reset: clears volatile state.
  void reset_volatile();
  void block_pin();
  // Control interface only: back to factory state (default PIN/PUK/management key, no keys or
  // objects) without the blocked-PIN precondition of RESET; serial and attestation key stay.
  // With a profile, the card also takes that profile's firmware version and default
  // management-key algorithm (as if it were another YubiKey model); without, the serve profile.
  void factory_reset(const std::optional<PivProfile>& profile = std::nullopt);
  // Control interface only: replace the management key (as if another tool had set it); false
  // when the algorithm is unknown or the key length does not match it.
  bool set_management_key(std::uint8_t alg, const Bytes& key);
  // `ctl pivN attest-lie key|serial|touch|off`: from now on, attestations describe another key,
  // another serial or another touch policy than the card holds (what a counterfeit card or a
  // relay would produce), so keyward's check of the attestation against the generated key runs.
  enum class AttestLie { none, key, serial, touch };
  void set_attest_lie(AttestLie lie) { attest_lie_ = lie; }
  std::uint32_t serial() const;
  std::string status() const;

  static const Bytes& atr();

 private:
  struct Response {
    Bytes data;
    std::uint16_t sw = 0x9000;
  };
  static Response sw(std::uint16_t s) { return Response{{}, s}; }

  Response dispatch(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data, bool& removed);
  Response select(std::uint8_t p1, const Bytes& data);
  Response verify(std::uint8_t p1, std::uint8_t p2, const Bytes& data);
  Response change_reference(std::uint8_t p2, const Bytes& data);
  Response reset_retry(std::uint8_t p2, const Bytes& data);
  Response general_authenticate(std::uint8_t p1, std::uint8_t p2, const Bytes& data, bool& removed);
  Response mgmt_authenticate(std::uint8_t p1, const std::map<std::uint8_t, Bytes>& t, bool& removed);
  Response generate(std::uint8_t p2, const Bytes& data);
  Response import_key(std::uint8_t p1, std::uint8_t p2, const Bytes& data);
  Response get_data(const Bytes& data);
  Response put_data(const Bytes& data);
  Response set_mgmt_key(std::uint8_t p1, std::uint8_t p2, const Bytes& data);
  Response reset_card();
  Response set_pin_retries(std::uint8_t p1, std::uint8_t p2);
  Response attest(std::uint8_t slot);
  Response metadata(std::uint8_t slot);
  Response move_key(std::uint8_t to, std::uint8_t from);
  // The management application (yk_apps.cpp): READ CONFIG (device information), WRITE CONFIG,
  // SET MODE; and the OTP application's SELECT status and serial read.
  Response mgmt_command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data);
  Response otp_command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data);
  Response write_config(const Bytes& data);
  Bytes device_info() const;
  Bytes otp_status() const;
  bool fw_at_least(int major, int minor) const;
  // Touch handling; returns nullopt when the touch was given (or cached), else the failing SW.
  std::optional<std::uint16_t> need_touch(std::uint8_t slot, std::uint8_t policy, bool& removed);
  void init_defaults();
  void ensure_attestation_key();
  bool load();
  void save() const;

  std::string state_path_;
  PivProfile profile_;
  Presence& presence_;
  const AttestationCa& ca_;
  mutable std::mutex mu_;
  PivState st_;

  // Volatile state (cleared on reset / power off / SELECT).
  // The application the last SELECT chose; PIV answers without a SELECT, as libykpiv expects.
  enum class App { piv, mgmt, otp } app_ = App::piv;
  bool pin_verified_ = false;
  bool pin_fresh_ = false;  // for PIN policy "always": consumed by the next private-key operation
  bool mgmt_authed_ = false;
  std::atomic<AttestLie> attest_lie_{AttestLie::none};
  std::optional<Bytes> witness_;
  std::optional<Bytes> challenge_;
  struct Chain {
    bool active = false;
    std::uint8_t ins = 0, p1 = 0, p2 = 0;
    Bytes data;
  } chain_;
  Bytes pending_response_;
  std::map<std::uint8_t, std::chrono::steady_clock::time_point> touch_cache_;
};

// Slots 9A 9C 9D 9E and the retired 82..95 hold keys.
inline bool is_key_slot(std::uint8_t slot) {
  return slot == 0x9A || slot == 0x9C || slot == 0x9D || slot == 0x9E || (slot >= 0x82 && slot <= 0x95);
}
inline EcKey::Curve curve_of(std::uint8_t alg) { return alg == 0x14 ? EcKey::Curve::p384 : EcKey::Curve::p256; }

// Slot defaults of a YubiKey: PIN policy (9C always, 9E never, others once), touch never.
std::uint8_t default_pin_policy(std::uint8_t slot);
// Certificate object id for a key slot (9A -> 0x5FC105 ...), 0 if none.
std::uint32_t slot_object(std::uint8_t slot);
// Builds the attestation certificate for `key` in `slot`, signed by the F9 key/cert.
Bytes make_attestation_cert(const PivState& st, std::uint8_t slot, const PivKey& key);
// Creates a card's F9 key and certificate (issued by the simulator CA).
void create_attestation_key(PivState& st, const AttestationCa& ca);

}  // namespace hwsim

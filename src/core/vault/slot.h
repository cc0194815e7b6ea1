// Key slots (docs/format-vault.md section 5). A slot is (type, label, public key P, type-specific
// public parameters, wrapped master key, optional wrapped high key). Its credential recovers the
// X25519 secret for P; the master (and high) key are wrapped to P, so re-keying never needs a
// credential.
//
// Adding a slot type (piv, fido2) = one new file slot_<type>.cpp implementing SlotHandler, plus
// its line in slot_handler() (slot.cpp). The vault code only talks to SlotHandler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/vault/format.h"

namespace keyward::vault {

enum class SlotType : std::uint8_t {
  passphrase = 1,
  recipient = 2,
  recovery = 3,
  piv = 4,    // reserved: next issue
  fido2 = 5,  // reserved: next issue
};
std::string_view slot_type_name(SlotType t) noexcept;
std::optional<SlotType> slot_type_from_name(std::string_view name) noexcept;

inline constexpr std::uint8_t kSlotFlagPresence = 0x01;
inline constexpr std::size_t kWrappedSize = 104;
inline constexpr std::size_t kMaxLabel = 128;
inline constexpr std::size_t kMaxParams = 4096;

struct Slot {
  std::uint32_t number = 0;  // slot number (database row), not part of the encoding
  SlotType type = SlotType::passphrase;
  std::uint8_t flags = 0;
  std::string label;
  Digest public_key{};  // X25519 P
  Bytes params;
  Bytes wrapped_master;
  Bytes wrapped_high;  // empty if the slot holds no high key
  bool presence_capable() const { return (flags & kSlotFlagPresence) != 0; }
};

Bytes encode_slot(const Slot& s);
// The checks a new slot's label must pass against a vault's slots: at most kMaxLabel bytes, not
// already used (an empty label is allowed).
Status check_new_slot_label(const std::vector<Slot>& slots, const std::string& label);
// Strict parse (every length checked, nothing trailing, type-specific parameters validated by the
// type's handler). Bad bytes: the opaque decrypt error. A reserved type without a handler in
// this build parses (its handler is nullptr) so the vault still opens through other slots.
Result<Slot> parse_slot(ByteView body);

enum class Which : std::uint8_t { master = 1, high = 2 };

class PivKeyAgent;
class Fido2Agent;
// The device adapters a command hands to core, explicitly (there is no process-wide default):
// PIV and FIDO2 slots reach their card / authenticator only through these (src/hw implements
// them). nullptr: this program cannot talk to that kind of device.
struct Devices {
  PivKeyAgent* piv = nullptr;
  Fido2Agent* fido2 = nullptr;
};

// A credential given at unlock time. `secret` holds: the passphrase bytes (passphrase), the
// 32-byte X25519 scalar of the age identity (recipient), or the 35 canonical data characters of
// a recovery code (recovery). PIV and FIDO2 credentials carry no secret: `devices` reaches the
// card or authenticator that holds it.
struct Credential {
  Credential() = default;
  Credential(SlotType t, SecretBytes s, Devices d = {}) : type(t), secret(std::move(s)), devices(d) {}
  SlotType type = SlotType::passphrase;
  SecretBytes secret;
  Devices devices;
};

class SlotHandler {
 public:
  virtual ~SlotHandler() = default;
  virtual SlotType type() const = 0;
  // Checks the type-specific parameters (called by parse_slot's users before any crypto).
  virtual Status validate(const Slot& slot) const = 0;
  // Whether this slot instance proves presence on every use (PIV touch=always, FIDO2 UP).
  virtual bool presence_capable(const Slot& slot) const { return slot.presence_capable(); }
  // Whether this slot receives the high key: presence-capable slots and recovery slots.
  virtual bool holds_high(const Slot& slot) const { return presence_capable(slot); }
  // What stands between a same-user process and this slot's keys (docs/threat-model.md,
  // "Who enforces what"): "card touch", "PIN (authenticator), touch checked by keyward",
  // "nothing beyond access to the device", "the passphrase", ...
  virtual std::string enforcement(const Slot& slot) const;
  // Recovers the slot's X25519 secret p from the credential; wrong credential: auth_failed.
  virtual Result<SecretBytes> unlock(const Slot& slot, const VaultId& vid,
                                     const Credential& cred) const = 0;
  // Key wrap to P (section 5.2). Types whose device does the key agreement may override.
  virtual Result<Bytes> wrap(const Slot& slot, const VaultId& vid, Which which,
                             const SecretBytes& key) const;
  virtual Result<SecretBytes> unwrap(const Slot& slot, const VaultId& vid, Which which,
                                     ByteView wrapped, const SecretBytes& slot_secret) const;
};

// The registry: the handler for a type, or nullptr for a type this build does not implement.
const SlotHandler* slot_handler(SlotType t) noexcept;

// Handlers, one per file.
const SlotHandler& passphrase_slot_handler();
const SlotHandler& recipient_slot_handler();
const SlotHandler& recovery_slot_handler();

// ---- creation of new slots (no wraps yet; the vault adds them) ----

// Argon2id parameters for passphrase slots; floor m >= 8 MiB, t >= 1, p in 1..16.
struct PassphraseParams {
  std::uint32_t t = 3;
  std::uint32_t m_kib = 65536;
  std::uint32_t p = 4;
};
inline constexpr std::uint32_t kMinArgonMemoryKib = 8192;
// keyward's strongest passphrase-slot setting, and the most a stored slot may ask for (its
// parameters are not authenticated before the KDF runs): docs/format-vault.md.
inline constexpr std::uint32_t kMaxArgonTime = 10;
inline constexpr std::uint32_t kMaxArgonMemoryKib = 1024 * 1024;  // 1 GiB
inline constexpr std::uint32_t kMaxArgonLanes = 16;
Status check_passphrase_params(const PassphraseParams& p);
Result<Slot> new_passphrase_slot(std::string label, const SecretBytes& passphrase,
                                 const PassphraseParams& params, const VaultId& vid);

// age recipient `age1...` (Bech32, HRP "age").
Result<Slot> new_recipient_slot(std::string label, std::string_view age_recipient);
Result<Digest> parse_age_recipient(std::string_view text);
Result<std::string> format_age_recipient(const Digest& pub);
// age identity `AGE-SECRET-KEY-1...` -> credential.
Result<Credential> identity_credential(std::string_view identity_text);

// Recovery codes: returns the slot and the code text (shown once).
struct NewRecovery {
  Slot slot;
  std::string code;  // XXXXX-XXXXX-... 8 groups
};
Result<NewRecovery> new_recovery_slot(std::string label, const VaultId& vid);
// Normalises and checks a typed code (checksum) before any key derivation: malformed on a typo.
Result<Credential> recovery_credential(std::string_view typed);

// Shared helpers for slot types that seal p under a credential-derived key.
Result<Bytes> seal_slot_secret(const SecretBytes& kek, const SecretBytes& secret, SlotType type,
                               const VaultId& vid, const Digest& pub, ByteView params_prefix);
Result<SecretBytes> open_slot_secret(const SecretBytes& kek, ByteView sealed, SlotType type,
                                     const VaultId& vid, const Digest& pub,
                                     ByteView params_prefix);

}  // namespace keyward::vault

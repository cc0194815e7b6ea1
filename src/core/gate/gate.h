// The presence gate (docs/presence-gate.md): the one mechanism that releases the vault's high
// key. It is passed only by a fresh device answer to a fresh random challenge, verified here
// (FIDO2: assertion signature by the enrolled credential key, rp id hash, UP/UV flags, signature
// counter never going backward; PIV: an ECDH with a key whose touch policy is `always`, PIN policy
// `always` for Level::verify), and the same answer unwraps the high key. There is no flag,
// environment variable or file that skips it. Core never prints or prompts: devices are reached
// through the Fido2Agent / PivKeyAgent the caller passes (vault::Devices; src/hw implements
// them), which show the prompt text the request carries through the program's Interaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/vault/format.h"
#include "core/vault/records.h"
#include "core/vault/slot.h"

namespace keyward::gate {

enum class Level : std::uint8_t {
  touch = 1,   // user presence
  verify = 2,  // user verification: FIDO2 PIN/biometric, or PIV PIN + touch
};

// What the gate is asked for; shown to the user before the touch and written to the audit log.
struct Request {
  std::string vault_label;               // vault path shown in the prompt
  vault::VaultId vault_id{};
  std::string purpose;                   // "get", "run", "export", "mint-deploy", "slot rm", ...
  std::vector<std::string> coordinates;  // explicit list this grant releases (may be empty)
  Level level = Level::touch;
  std::string command_line;              // requesting command line (keyward never takes secrets on argv)
  std::string parent;                    // parent process, "bash (pid 1234)"
  std::string terminal;                  // controlling terminal or "none"
  // The text the device prompt shows after "touch your <device> to " (the CLI puts the list
  // of coordinates here). Empty: a short form built from the fields above.
  std::string prompt;
};

// Fills command_line, parent and terminal for the calling process (from /proc).
void describe_requester(Request& r);

class Issuer;  // gate.cpp: the only code that makes a Grant

// One passed gate. `high()` is the vault's high key, already checked against the header's
// commitment (C_high); it lives only as long as this object, for this one command. A grant
// releases exactly `coordinates()` (Vault::get/read_env, open_high_row refuse any other high
// record); writes (set --high, slot add) need the key itself. Only the gate makes grants
// (pass, recovery_grant); the fields cannot be changed afterwards.
class Grant {
 public:
  Grant(Grant&&) noexcept = default;
  Grant& operator=(Grant&&) noexcept = default;

  const SecretBytes& high() const { return high_; }
  std::uint32_t slot() const { return slot_; }  // slot number that answered
  // "YubiKey 12345678 key 82", "FIDO2 slot 'yubikey' (rp keyward.vault)": for the audit log.
  const std::string& device() const { return device_; }
  const vault::VaultId& vault_id() const { return vault_id_; }
  const std::string& purpose() const { return purpose_; }
  const std::vector<std::string>& coordinates() const { return coordinates_; }
  Level level() const { return level_; }
  // FIDO2 signature counter seen (0: the authenticator never counts).
  std::uint32_t counter() const { return counter_; }
  bool covers(std::string_view coordinate) const;

 private:
  friend class Issuer;
  Grant() = default;
  SecretBytes high_;
  std::uint32_t slot_ = 0;
  std::string device_;
  vault::VaultId vault_id_{};
  std::string purpose_;
  std::vector<std::string> coordinates_;
  Level level_ = Level::touch;
  std::uint32_t counter_ = 0;
};

// The client-data hash a FIDO2 gate assertion signs: SHA-256 over a label, the fresh 32-byte
// nonce and request_digest(req). Exposed for tests and docs/presence-gate.md.
Bytes request_digest(const Request& req);
Bytes client_data_hash(ByteView nonce, const Request& req);

// The directory of the gate's FIDO2 counter files: state_dir if non-empty, else
// $XDG_STATE_HOME/keyward/gate, else ~/.local/state/keyward/gate. One file per vault id.
Result<std::string> state_directory(const std::string& state_dir);

// Runs the gate over the vault's presence-capable slots (`prefer_slot` first when it is one,
// then FIDO2 slots, then PIV slots; a slot whose device is absent, or that cannot serve this
// level, is skipped; any other failure denies). `header` and `slots` must come from a verified
// source (an unlocked Vault, or the agent that holds it). `devices` reaches the cards and
// authenticators (a type without an adapter is skipped with the reason). `state_dir` holds the
// FIDO2 signature counters (empty = XDG default). Refusal, timeout, no usable device: an error.
// Level::verify on a FIDO2 slot enrolled without UV takes two assertions (docs/presence-gate.md).
// The presence proof of each slot type is in its own file (presence_fido2.cpp, presence_piv.cpp).
Result<Grant> pass(const Request& req, const vault::HeaderBody& header,
                   const std::vector<vault::Slot>& slots, const vault::Devices& devices,
                   const std::string& state_dir, std::uint32_t prefer_slot = 0);

// The grant of a recovery-code unlock (Vault::recovery_grant, the only caller): `high` was
// unwrapped by recovery slot `slot`; it is checked against the header's commitment here.
Result<Grant> recovery_grant(const Request& req, const vault::HeaderBody& header,
                             SecretBytes high, std::uint32_t slot);

// Opens one high record row with a grant (K_high from grant.high()). For clients that hold only
// sealed rows (the agent path): the agent verifies header, manifest and pin; the client opens.
// Refuses a row whose coordinate the grant does not list. The record's value fingerprint needs
// K_fp (master key) and is left zero here.
Result<vault::Record> open_high_row(const vault::RecordRow& row, const vault::VaultId& vid,
                                    const Grant& grant);

}  // namespace keyward::gate

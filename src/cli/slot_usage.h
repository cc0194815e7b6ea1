// When each key slot of a vault was last used to unlock it, for `keyward slot list`. Kept in the
// user's state directory ($XDG_STATE_HOME/keyward/slots/<vault-id>.json, else
// ~/.local/state/...), never in the vault: recording it there would turn every read into a
// write. Best effort: a state directory that cannot be written never fails a command.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/vault/vault.h"

namespace keyward::cli {

// The hardware device that answered in this process ("YubiKey 20000001", a FIDO2 path), set by
// the PIV/FIDO2 code; recorded with the next note_slot_used / note_slot_enrolled.
void note_slot_device(std::string device);
// Records "now" as the last use of the slot that unlocked `v` (atomic replace of the file).
void note_slot_used(const vault::Vault& v);
// Records the device of a newly enrolled slot (no use yet).
void note_slot_enrolled(const vault::VaultId& vid, std::uint32_t slot);

struct SlotUsage {
  std::string last_used;  // UTC, ISO 8601; empty: never (since it was recorded)
  std::string device;     // the device that last answered for this slot; may be empty
};
// Slot number -> usage, for the vault `vid`; empty if nothing was recorded.
std::map<std::uint32_t, SlotUsage> slot_usage(const vault::VaultId& vid);
// The file (for tests and doctor); empty if no state directory can be found.
std::string slot_usage_file(const vault::VaultId& vid);

}  // namespace keyward::cli

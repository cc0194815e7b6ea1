// Local pinning of (vault id, highest revision, key id) per vault path (docs/format-vault.md
// section 9). The state file lives under $XDG_STATE_HOME/keyward/pins/ (or ~/.local/state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/vault/format.h"

namespace keyward::vault {

struct Pin {
  VaultId vault_id{};
  std::uint64_t revision = 0;
  Digest key_id{};
};

// The directory holding pin files: state_dir if non-empty, else $XDG_STATE_HOME/keyward/pins,
// else $HOME/.local/state/keyward/pins.
Result<std::string> pin_directory(const std::string& state_dir);

class PinStore {
 public:
  PinStore(std::string dir, std::string vault_path);
  // nullopt if this machine has never seen the vault at this path. A damaged pin file is an
  // integrity error that names the file.
  Result<std::optional<Pin>> load() const;
  // Raises the pin to `pin` (revision never moves backward; the key id follows). Atomic.
  Status raise(const Pin& pin) const;
  // Deletes the pin (`keyward vault forget`). true if there was one.
  Result<bool> forget() const;
  const std::string& file() const { return file_; }

 private:
  std::string dir_, vault_path_, file_;
};

}  // namespace keyward::vault

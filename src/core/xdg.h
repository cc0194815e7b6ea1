// keyward's directories under the XDG base-directory specification, in one place: an absolute
// $XDG_STATE_HOME / $XDG_DATA_HOME, else the specification's default under an absolute $HOME
// (~/.local/state, ~/.local/share), and an absolute $XDG_RUNTIME_DIR (which has no default).
// Relative values are ignored, as the specification says.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace keyward {

// "<state home>/keyward" or "<state home>/keyward/<sub>". Errc::io naming the variables when
// neither XDG_STATE_HOME nor HOME is usable.
Result<std::string> xdg_state_dir(std::string_view sub = {});
// "<data home>/keyward" or "<data home>/keyward/<sub>"; Errc::not_found when neither
// XDG_DATA_HOME nor HOME is usable (there is then no default vault).
Result<std::string> xdg_data_dir(std::string_view sub = {});
// $XDG_RUNTIME_DIR itself when it is set and absolute (the agent's socket directory goes under
// it, `sealed-env edit` decrypts into it); nullopt otherwise.
std::optional<std::string> xdg_runtime_dir();

}  // namespace keyward

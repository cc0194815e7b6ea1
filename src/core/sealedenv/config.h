// `.sealed-env.config.json` (spec §12.2, §12.3, §12.9): the committable deploy policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/sealedenv/file_format.h"

namespace keyward::sealedenv {

inline constexpr std::string_view kConfigFileName = ".sealed-env.config.json";
inline constexpr std::uint64_t kMaxDeployTtl = 600;

enum class DeployMode { static_, ephemeral, workload_identity };

struct Config {
  DeployMode deploy_mode = DeployMode::static_;
  std::uint64_t deploy_ttl_max_seconds = 60;
  bool require_totp_on_mint = false;
  bool allow_long_lived_for_dev = true;
  std::optional<std::string> nonce_state_backend;
};

// The defaults for a vault of this mode (§12.2 table, §12.3).
Config default_config(Mode vault_mode);

// Parses and validates (§12.2 rules 1-5, §12.9). Errors are CONFIG_ERROR with causes bad-json,
// bad-type, ttl-out-of-range, bad-deploy-mode, enterprise-requires-ephemeral,
// workload-identity-not-implemented.
Result<Config> parse_config(std::string_view json_text, Mode vault_mode);

// Pretty JSON with every field, in the §12.2 order (what `init` writes).
std::string write_config(const Config& c);

// Tier A tokens may decrypt directly unless the vault is ephemeral and
// allow_long_lived_for_dev is false (docs/sealed-env-conformance.md).
bool tier_a_allowed(const Config& c);

}  // namespace keyward::sealedenv

// Where the keys to open a `.env.sealed` come from (spec §11.9 precedence, §12.7): the
// SEALED_ENV_TOKEN credential token, a Tier B deploy token, an unseal token, or the deprecated
// legacy variables (with the one-time `legacy-credential-format` warning). Core never reads the
// process environment itself: the caller passes a lookup function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/config.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/replay_cache.h"

namespace keyward::sealedenv {

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
using ReplayFactory = std::function<Result<std::unique_ptr<ReplayCache>>(std::string_view uri)>;

inline constexpr std::string_view kLegacyWarning =
    "legacy-credential-format: SEALED_ENV_KEY / SEALED_ENV_SIGNING_KEY / SEALED_ENV_TOTP_SECRET / "
    "SEALED_ENV_UNSEAL_TOKEN are deprecated and will be removed in 1.0.0; put one "
    "SEALED_ENV_TOKEN in their place (see `sealed-env migrate-token`, or `keyward sealed-env "
    "token mint`)";

// The root keys gathered from the environment, before any file is opened.
struct Credentials {
  std::optional<SecretBytes> master, signing, totp;
  std::optional<CredentialToken> deploy;     // Tier B
  std::optional<std::string> unseal_text;    // usl_... or sealed_env_u_...
  bool tier_a = false;                       // keys came from a Tier A token or legacy variables
  bool from_token = false;                   // SEALED_ENV_TOKEN was used
  std::vector<std::string> warnings;
};

// §11.9: SEALED_ENV_TOKEN first (legacy variables then ignored, except as the master-key
// companion of a `d` or `u` token), then the legacy variables (warning), else an error that
// names SEALED_ENV_TOKEN. Token errors keep their §11.7 class and cause.
Result<Credentials> gather_credentials(const EnvLookup& env);

struct Opened {
  SecretBytes plaintext;
  std::vector<std::string> warnings;
};

struct OpenContext {
  std::uint64_t now = 0;
  const Config* config = nullptr;  // null: no config file next to the vault
  // Opens the backend a config's nonce_state_backend names (the front end passes
  // net::open_replay_cache). Empty: a configured backend fails closed.
  ReplayFactory replay_factory;
  std::optional<std::string> deploy_id;  // SEALED_ENV_DEPLOY_ID
};

// Opens `f` with the gathered credentials: Tier B (§12.7) when a deploy token is present,
// otherwise Tier A (§7) with the enterprise second factor from the TOTP secret or the unseal
// token (§9).
Result<Opened> open_with_credentials(const SealedFile& f, const Credentials& c,
                                     const OpenContext& ctx);

}  // namespace keyward::sealedenv

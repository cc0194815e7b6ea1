// Tier B deploy tokens (spec §12.4-§12.8): mint and verify.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/config.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/replay_cache.h"

namespace keyward::sealedenv {

struct DeployMint {
  std::uint64_t now = 0;
  std::uint64_t ttl = 60;
  Bytes fixed_nonce;  // tests only; empty = 16 random bytes
};

// The Tier A keys a mint uses. Team and enterprise files need the signing key (the token carries
// the file's HMAC key, x-kw-mac), enterprise files the TOTP secret (the token carries the
// salt-bound epoch, x-kw-epoch, never the secret).
struct DeployKeys {
  ByteView master;
  std::optional<ByteView> signing;
  std::optional<ByteView> totp;
};

// §12.6 steps 3 and 5-15. Step 2 (config) is the caller's; step 4 (the second factor on mint) is
// the caller's MintGate (mint_gate.h), run before this. ttl above config.deploy_ttl_max_seconds:
// CONFIG_ERROR(ttl-cap). The file is authenticated first (HMAC before the KDF, then the epoch
// commitment, AAD and GCM tag), so what the mint relied on (the mode) is the file's real one.
Result<SecretBytes> mint_deploy(const SealedFile& f, const DeployKeys& keys, const Config& config,
                                const DeployMint& m);

// keyward's own upper bound on a deploy token's remaining lifetime (the format's maximum TTL).
inline constexpr std::uint64_t kMaxDeployLifetime = 600;

struct DeployVerify {
  std::uint64_t now = 0;
  const Config* config = nullptr;  // null: no config file (defaults for the file's mode)
  ReplayCache* replay = nullptr;   // for consume_deploy_nonce
};

struct VerifiedDeploy {
  SecretBytes ek;
  bool sig_checked = false;           // false: no master key (Tier B alone)
  std::vector<std::string> warnings;  // e.g. "deploy-replay-disabled: ..."
};

// §12.7 steps 2-6 and 8 on a token parsed by parse_token (§11.7), touching no replay cache.
// Order: wrong-mode, TOKEN_EXPIRED (exp-past), vault-mismatch, then the signature
// (TOKEN_INVALID sig) when the master key is given. Without the master key (a deploy that holds
// only SEALED_ENV_DEPLOY_TOKEN) the signature cannot be computed; `exp` is then unauthenticated,
// so a remaining lifetime above kMaxDeployLifetime is TOKEN_INVALID(lifetime), and the caller
// must treat decryption under `ek` (GCM tag, and the HMAC / epoch the token carries) as the
// token's proof before consuming its nonce.
Result<VerifiedDeploy> verify_deploy(const CredentialToken& t, const SealedFile& f,
                                     std::optional<ByteView> master_key, const DeployVerify& v);

// §12.7 step 7, called only once the token is authenticated (signature, or the file decrypted
// under its ek). With a nonce_state_backend: atomic check-and-set of (vault_id, nonce) with a
// lifetime of min(exp - now, kMaxDeployLifetime), never the token's claim alone; replay is
// TOKEN_INVALID(replay), no cache TOKEN_INVALID(replay-cache-unavailable). Without one, an
// ephemeral config adds the deploy-replay-disabled warning.
Status consume_deploy_nonce(const DeployFields& d, const SealedFile& f, const DeployVerify& v,
                            std::vector<std::string>* warnings);

}  // namespace keyward::sealedenv

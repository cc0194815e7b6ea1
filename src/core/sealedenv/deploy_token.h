// Tier B deploy tokens (spec §12.4-§12.8): mint and verify.
#pragma once

#include <cstdint>
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

// §12.6 steps 3 and 5-15. Step 2 (config) is the caller's; step 4 (the second factor on mint) is
// the caller's MintGate (mint_gate.h), run before this. ttl above config.deploy_ttl_max_seconds:
// CONFIG_ERROR(ttl-cap).
Result<SecretBytes> mint_deploy(const SealedFile& f, ByteView master_key, const Config& config,
                                const DeployMint& m);

struct DeployVerify {
  std::uint64_t now = 0;
  const Config* config = nullptr;  // null: no config file (defaults for the file's mode)
  ReplayCache* replay = nullptr;   // required when config->nonce_state_backend is set
};

struct VerifiedDeploy {
  SecretBytes ek;
  std::vector<std::string> warnings;  // e.g. "deploy-replay-disabled: ..."
};

// §12.7 steps 2-8 on a token parsed by parse_token (§11.7). Order: wrong-mode, TOKEN_EXPIRED
// (exp-past), vault-mismatch, replay / replay-cache-unavailable, sig.
Result<VerifiedDeploy> verify_deploy(const CredentialToken& t, const SealedFile& f,
                                     ByteView master_key, const DeployVerify& v);

}  // namespace keyward::sealedenv

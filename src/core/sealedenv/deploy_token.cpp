#include "core/sealedenv/deploy_token.h"

#include "core/hash.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/keys.h"

namespace keyward::sealedenv {

Result<SecretBytes> mint_deploy(const SealedFile& f, ByteView master_key, const Config& config,
                                const DeployMint& m) {
  if (m.ttl < 1 || m.ttl > kMaxDeployTtl)
    return se_fail(kConfigError, "ttl-out-of-range", "--ttl must be 1..600 seconds");
  if (m.ttl > config.deploy_ttl_max_seconds)
    return se_fail(kConfigError, "ttl-cap",
                   "--ttl exceeds deploy_ttl_max_seconds (" +
                       std::to_string(config.deploy_ttl_max_seconds) + ") in .sealed-env.config.json");
  KW_TRY(SecretBytes dk, derive_key(master_key, f.salt, f.kdf));
  DeployFields d;
  d.nonce = m.fixed_nonce.empty() ? random_bytes(16) : m.fixed_nonce;
  if (d.nonce.size() != 16) return fail(Errc::invalid_argument, "sealed-env: nonce must be 16 bytes");
  d.exp = m.now + m.ttl;
  d.vault_id = vault_id(f.salt);
  d.ek = std::move(dk);
  Bytes signed_part = deploy_signed_payload(d.ek, d.exp, d.nonce, d.vault_id);
  KW_TRY(SecretBytes hk, deploy_sig_key(master_key, f.salt));
  d.sig = hash::hmac_sha256(hk, signed_part);
  secure_wipe(signed_part.data(), signed_part.size());
  return encode_deploy(d);
}

Result<VerifiedDeploy> verify_deploy(const CredentialToken& t, const SealedFile& f,
                                     ByteView master_key, const DeployVerify& v) {
  // 2. mode
  if (t.mode != 'd' || !t.deploy)
    return se_fail(kTokenInvalid, "wrong-mode", "a deploy token (sealed_env_d_...) is required");
  const DeployFields& d = *t.deploy;
  // 3. expiry
  if (!(d.exp > v.now)) return se_fail(kTokenExpired, "exp-past", "deploy token has expired");
  // 5-6. vault id
  Bytes local = vault_id(f.salt);
  if (!ct_equal(local, d.vault_id))
    return se_fail(kTokenInvalid, "vault-mismatch", "deploy token was minted for another vault");
  VerifiedDeploy out;
  Config defaults = default_config(f.mode);
  const Config& cfg = v.config ? *v.config : defaults;
  // 7. replay
  if (cfg.nonce_state_backend) {
    if (!v.replay)
      return se_fail(kTokenInvalid, "replay-cache-unavailable", "replay cache is not connected");
    KW_TRY(bool first, v.replay->check_and_set(deploy_nonce_key(encoding::hex_encode(local),
                                                                encoding::hex_encode(d.nonce)),
                                               d.exp - v.now));
    if (!first) return se_fail(kTokenInvalid, "replay", "deploy token nonce was already used");
  } else if (cfg.deploy_mode == DeployMode::ephemeral) {
    out.warnings.push_back(
        "deploy-replay-disabled: nonce_state_backend is null, so a deploy token can be reused "
        "until it expires; set a redis:// backend in .sealed-env.config.json to enforce single use");
  }
  // 8. signature
  KW_TRY(SecretBytes hk, deploy_sig_key(master_key, f.salt));
  Bytes signed_part = deploy_signed_payload(d.ek, d.exp, d.nonce, d.vault_id);
  Bytes want = hash::hmac_sha256(hk, signed_part);
  secure_wipe(signed_part.data(), signed_part.size());
  if (!ct_equal(want, d.sig))
    return se_fail(kTokenInvalid, "sig", "deploy token signature does not verify");
  out.ek = d.ek.clone();
  return out;
}

}  // namespace keyward::sealedenv

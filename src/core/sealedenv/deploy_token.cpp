#include "core/sealedenv/deploy_token.h"

#include <algorithm>

#include "core/hash.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/seal.h"

namespace keyward::sealedenv {

Result<SecretBytes> mint_deploy(const SealedFile& f, const DeployKeys& keys, const Config& config,
                                const DeployMint& m) {
  if (m.ttl < 1 || m.ttl > kMaxDeployTtl)
    return se_fail(kConfigError, "ttl-out-of-range", "--ttl must be 1..600 seconds");
  if (m.ttl > config.deploy_ttl_max_seconds)
    return se_fail(kConfigError, "ttl-cap",
                   "--ttl exceeds deploy_ttl_max_seconds (" +
                       std::to_string(config.deploy_ttl_max_seconds) + ") in .sealed-env.config.json");
  if (f.mode != Mode::basic && (!keys.signing || keys.signing->size() < 16))
    return fail(Errc::auth_failed,
                "sealed-env: a deploy token for a " + std::string(mode_name(f.mode)) +
                    " file carries the file's HMAC key, so minting needs the signing key (a "
                    "token of mode t or e)");
  if (f.mode == Mode::enterprise && (!keys.totp || keys.totp->size() != kTotpSecretSize))
    return fail(Errc::auth_failed,
                "sealed-env: a deploy token for an enterprise file carries the file's epoch, so "
                "minting needs the TOTP secret (a token of mode e)");
  DeployFields d;
  // Authenticate the file before minting for it: HMAC first (no KDF needed), then the KDF.
  if (f.mode != Mode::basic) {
    KW_TRY(SecretBytes mk, mac_key(*keys.signing, f.salt));
    KW_TRY_STATUS(verify_hmac(f, mk, nullptr));
    d.mac_key = std::move(mk);
  }
  KW_TRY(SecretBytes dk, derive_key(keys.master, f.salt, f.kdf));
  {
    OpenKeys ok_keys;
    ok_keys.derived = dk.view();
    if (d.mac_key) ok_keys.mac_key = d.mac_key->view();
    if (f.mode == Mode::enterprise) {
      d.epoch = enterprise_epoch(*keys.totp, f.salt);
      ok_keys.second_factor = totp_secret_factor(*keys.totp);
    }
    KW_TRY(SecretBytes plain, open(f, ok_keys));  // wiped when it goes out of scope
  }
  d.nonce = m.fixed_nonce.empty() ? random_bytes(16) : m.fixed_nonce;
  if (d.nonce.size() != 16) return fail(Errc::invalid_argument, "sealed-env: nonce must be 16 bytes");
  d.exp = m.now + m.ttl;
  d.vault_id = vault_id(f.salt);
  d.ek = std::move(dk);
  Bytes signed_part = deploy_signed_payload(d.ek, d.exp, d.nonce, d.vault_id);
  KW_TRY(SecretBytes hk, deploy_sig_key(keys.master, f.salt));
  d.sig = hash::hmac_sha256(hk, signed_part);
  secure_wipe(signed_part.data(), signed_part.size());
  return encode_deploy(d);
}

Result<VerifiedDeploy> verify_deploy(const CredentialToken& t, const SealedFile& f,
                                     std::optional<ByteView> master_key, const DeployVerify& v) {
  // 2. mode
  if (t.mode != 'd' || !t.deploy)
    return se_fail(kTokenInvalid, "wrong-mode", "a deploy token (sealed_env_d_...) is required");
  const DeployFields& d = *t.deploy;
  // 3. expiry
  if (!(d.exp > v.now)) return se_fail(kTokenExpired, "exp-past", "deploy token has expired");
  if (!master_key && d.exp - v.now > kMaxDeployLifetime)
    return se_fail(kTokenInvalid, "lifetime",
                   "deploy token claims more than 600 s of remaining lifetime, and without the "
                   "master key its exp cannot be authenticated");
  // 5-6. vault id
  Bytes local = vault_id(f.salt);
  if (!ct_equal(local, d.vault_id))
    return se_fail(kTokenInvalid, "vault-mismatch", "deploy token was minted for another vault");
  VerifiedDeploy out;
  // 8. signature (before step 7: the replay cache is touched only by consume_deploy_nonce, once
  // the token is authenticated, so a forged token cannot burn a real one's nonce).
  if (master_key) {
    KW_TRY(SecretBytes hk, deploy_sig_key(*master_key, f.salt));
    Bytes signed_part = deploy_signed_payload(d.ek, d.exp, d.nonce, d.vault_id);
    Bytes want = hash::hmac_sha256(hk, signed_part);
    secure_wipe(signed_part.data(), signed_part.size());
    if (!ct_equal(want, d.sig))
      return se_fail(kTokenInvalid, "sig", "deploy token signature does not verify");
    out.sig_checked = true;
  }
  out.ek = d.ek.clone();
  return out;
}

Status consume_deploy_nonce(const DeployFields& d, const SealedFile& f, const DeployVerify& v,
                            std::vector<std::string>* warnings) {
  Config defaults = default_config(f.mode);
  const Config& cfg = v.config ? *v.config : defaults;
  if (cfg.nonce_state_backend) {
    if (!v.replay)
      return se_fail(kTokenInvalid, "replay-cache-unavailable", "replay cache is not connected");
    if (!(d.exp > v.now)) return se_fail(kTokenExpired, "exp-past", "deploy token has expired");
    std::uint64_t ttl = std::min<std::uint64_t>(d.exp - v.now, kMaxDeployLifetime);
    KW_TRY(bool first,
           v.replay->check_and_set(deploy_nonce_key(encoding::hex_encode(vault_id(f.salt)),
                                                    encoding::hex_encode(d.nonce)),
                                   ttl));
    if (!first) return se_fail(kTokenInvalid, "replay", "deploy token nonce was already used");
  } else if (cfg.deploy_mode == DeployMode::ephemeral && warnings) {
    warnings->push_back(
        "deploy-replay-disabled: nonce_state_backend is null, so a deploy token can be reused "
        "until it expires; set a redis:// backend in .sealed-env.config.json to enforce single use");
  }
  return ok();
}

}  // namespace keyward::sealedenv

#include "core/sealedenv/credentials.h"

#include <memory>

#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/deploy_token.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/seal.h"
#include "core/sealedenv/unseal_token.h"

namespace keyward::sealedenv {
namespace {

Result<SecretBytes> legacy_hex(const std::string& name, std::string value, std::size_t size) {
  auto raw = encoding::hex_decode(value);
  secure_wipe(value.data(), value.size());
  if (!raw || raw->size() != size)
    return fail(Errc::malformed, name + " must be " + std::to_string(size * 2) +
                                     " hexadecimal characters (" + std::to_string(size) + " bytes)");
  SecretBytes out = SecretBytes::copy_of(ByteView(*raw));
  secure_wipe(raw->data(), raw->size());
  return out;
}

}  // namespace

Result<Credentials> gather_credentials(const EnvLookup& env) {
  Credentials c;
  bool legacy_allowed = true;
  if (auto tok = env("SEALED_ENV_TOKEN"); tok && !tok->empty()) {
    c.from_token = true;
    auto parsed = parse_token(*tok);
    secure_wipe(tok->data(), tok->size());
    if (!parsed) return tl::unexpected(parsed.error());
    CredentialToken& t = *parsed;
    if (t.mode == 'd') {
      c.deploy = std::move(t);
    } else if (t.mode == 'u') {
      auto s = env("SEALED_ENV_TOKEN");
      c.unseal_text = *s;
    } else {
      c.master = std::move(t.master);
      c.signing = std::move(t.signing);
      c.totp = std::move(t.totp);
      c.tier_a = true;
      legacy_allowed = false;  // §11.9 rule 1
    }
  }
  if (auto d = env("SEALED_ENV_DEPLOY_TOKEN"); d && !d->empty() && !c.deploy) {
    auto parsed = parse_token(*d);
    secure_wipe(d->data(), d->size());
    if (!parsed) return tl::unexpected(parsed.error());
    c.deploy = std::move(*parsed);
  }
  if (!c.unseal_text) {
    if (auto u = env("SEALED_ENV_UNSEAL_TOKEN"); u && !u->empty()) {
      c.unseal_text = *u;
      if (u->substr(0, 4) == "usl_") c.warnings.emplace_back(kLegacyWarning);
    }
  }
  if (legacy_allowed) {
    bool used = false;
    if (auto v = env("SEALED_ENV_KEY"); v && !v->empty()) {
      KW_TRY(c.master, legacy_hex("SEALED_ENV_KEY", *v, 32));
      used = true;
    }
    if (auto v = env("SEALED_ENV_SIGNING_KEY"); v && !v->empty()) {
      KW_TRY(c.signing, legacy_hex("SEALED_ENV_SIGNING_KEY", *v, 32));
      used = true;
    }
    if (auto v = env("SEALED_ENV_TOTP_SECRET"); v && !v->empty()) {
      KW_TRY(c.totp, legacy_hex("SEALED_ENV_TOTP_SECRET", *v, 20));
      used = true;
    }
    if (used) {
      c.tier_a = !c.deploy;
      if (c.warnings.empty()) c.warnings.emplace_back(kLegacyWarning);
    }
  }
  // No credential given is a usage error (exit 2), as for the vault ("no credential to unlock
  // the vault"); a credential that does not open the file is auth_failed (5).
  if (!c.master && !c.deploy && !c.unseal_text)
    return fail(Errc::invalid_argument,
                "sealed-env: no credentials provided: set SEALED_ENV_TOKEN (a sealed_env_* token; "
                "see `keyward sealed-env token mint`) or, in a deploy, SEALED_ENV_DEPLOY_TOKEN");
  // A deploy token stands alone (Tier B, §12.1); an unseal token is only a second factor.
  if (!c.master && !c.deploy)
    return fail(Errc::invalid_argument,
                "sealed-env: no master key: an unseal token also needs SEALED_ENV_TOKEN "
                "(mode t or e) or SEALED_ENV_KEY");
  return c;
}

Result<Opened> open_with_credentials(const SealedFile& f, const Credentials& c,
                                     const OpenContext& ctx) {
  Opened out;
  out.warnings = c.warnings;
  Config defaults = default_config(f.mode);
  const Config& cfg = ctx.config ? *ctx.config : defaults;
  ReplayFactory factory = ctx.replay_factory;
  if (!factory) {
    factory = [](std::string_view) -> Result<std::unique_ptr<ReplayCache>> {
      return se_fail(kTokenInvalid, "replay-cache-unavailable",
                     "this build has no replay-cache client (nonce_state_backend is configured)");
    };
  }
  std::unique_ptr<ReplayCache> cache;
  auto need_cache = [&]() -> Status {
    if (!cfg.nonce_state_backend || cache) return ok();
    KW_TRY(cache, factory(*cfg.nonce_state_backend));
    return ok();
  };
  OpenKeys keys;
  if (c.signing) keys.signing = c.signing->view();
  if (c.deploy) {
    // Tier B (§12.7). The token is authenticated (signature when the master key is present,
    // otherwise the file's HMAC, epoch and GCM tag under its ek) before its nonce is consumed.
    std::optional<ByteView> master;
    if (c.master) master = c.master->view();
    DeployVerify v{ctx.now, ctx.config, nullptr};
    KW_TRY(VerifiedDeploy vd, verify_deploy(*c.deploy, f, master, v));
    const DeployFields& d = *c.deploy->deploy;
    keys.derived = vd.ek.view();
    if (f.mode != Mode::basic && !c.signing) {
      if (!d.mac_key)
        return fail(Errc::auth_failed,
                    "sealed-env: this " + std::string(mode_name(f.mode)) +
                        " file's HMAC must be verified, and the deploy token carries no HMAC key "
                        "(it was not minted by keyward): mint it with `keyward sealed-env "
                        "mint-deploy`, or also provide the signing key");
      keys.mac_key = d.mac_key->view();
    }
    if (f.mode == Mode::enterprise) {
      if (d.epoch) {
        auto epoch = std::make_shared<SecretBytes>(d.epoch->clone());
        keys.second_factor = [epoch](const SealedFile& file, ByteView dk) -> Status {
          return check_epoch(file, dk, *epoch);
        };
      } else if (c.totp) {
        keys.second_factor = totp_secret_factor(*c.totp);
      } else {
        return fail(Errc::auth_failed,
                    "sealed-env: an enterprise file needs its second factor, and the deploy token "
                    "carries no epoch (it was not minted by keyward): mint it with `keyward "
                    "sealed-env mint-deploy` (TOTP-gated), or also provide the TOTP secret");
      }
    }
    keys.warnings = &out.warnings;
    KW_TRY(SecretBytes plain, open(f, keys));
    KW_TRY_STATUS(need_cache());
    v.replay = cache.get();
    KW_TRY_STATUS(consume_deploy_nonce(d, f, v, &out.warnings));
    out.plaintext = std::move(plain);
    return out;
  }
  if (!tier_a_allowed(cfg))
    return se_fail(kTokenInvalid, "tier-not-allowed",
                   "allow_long_lived_for_dev is false: mint a deploy token (keyward sealed-env "
                   "mint-deploy) and use SEALED_ENV_DEPLOY_TOKEN");
  keys.master = c.master->view();
  if (f.mode == Mode::enterprise) {
    if (c.totp) {
      keys.second_factor = totp_secret_factor(*c.totp);
    } else if (c.unseal_text) {
      KW_TRY(UnsealToken ut, parse_unseal_any(*c.unseal_text));
      KW_TRY_STATUS(need_cache());
      keys.second_factor = unseal_factor(std::move(ut), UnsealVerify{ctx.now, ctx.deploy_id, cache.get()});
    }
  }
  keys.warnings = &out.warnings;
  KW_TRY(out.plaintext, open(f, keys));
  return out;
}

}  // namespace keyward::sealedenv

#include "core/sealedenv/credentials.h"

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
  if (!c.master && !c.deploy && !c.unseal_text)
    return fail(Errc::auth_failed,
                "sealed-env: no credentials provided: set SEALED_ENV_TOKEN (a sealed_env_* token; "
                "see `keyward sealed-env token mint`)");
  if (!c.master)
    return fail(Errc::auth_failed,
                "sealed-env: no master key: a deploy or unseal token also needs SEALED_ENV_TOKEN "
                "(mode b, t or e) or SEALED_ENV_KEY");
  return c;
}

Result<Opened> open_with_credentials(const SealedFile& f, const Credentials& c,
                                     const OpenContext& ctx) {
  Opened out;
  out.warnings = c.warnings;
  Config defaults = default_config(f.mode);
  const Config& cfg = ctx.config ? *ctx.config : defaults;
  ReplayFactory factory = ctx.replay_factory ? ctx.replay_factory : ReplayFactory(open_replay_cache);
  std::unique_ptr<ReplayCache> cache;
  auto need_cache = [&]() -> Status {
    if (!cfg.nonce_state_backend || cache) return ok();
    KW_TRY(cache, factory(*cfg.nonce_state_backend));
    return ok();
  };
  OpenKeys keys;
  if (c.signing) keys.signing = c.signing->view();
  if (c.deploy) {
    // Tier B (§12.7).
    KW_TRY_STATUS(need_cache());
    DeployVerify v{ctx.now, ctx.config, cache.get()};
    KW_TRY(VerifiedDeploy vd, verify_deploy(*c.deploy, f, *c.master, v));
    for (auto& w : vd.warnings) out.warnings.push_back(std::move(w));
    keys.derived = vd.ek.view();
    keys.tier_b = true;
    KW_TRY(out.plaintext, open(f, keys));
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
  KW_TRY(out.plaintext, open(f, keys));
  return out;
}

}  // namespace keyward::sealedenv

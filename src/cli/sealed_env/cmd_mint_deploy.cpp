// `keyward sealed-env mint-deploy --ttl N`: a Tier B deploy token (spec §12.6) on stdout.
// The mint goes through a MintGate:
//  - `--keyward`: the Tier A token is the adopted high record of the keyward vault (`sealed-env
//    adopt`); the gate is the hardware presence gate (touch; user verification for enterprise
//    files), whose grant is also what releases the token. No TOTP code is typed.
//  - otherwise a TOTP code for every enterprise file (the mode is authenticated: mint_deploy
//    verifies the file before minting), and for other files when require_totp_on_mint. The
//    editable .sealed-env.config.json can add that requirement, never remove it.
// The token carries the derived key (spec §12.5): the command says so when it prints one.
#include <cstdio>

#include "cli/presence.h"
#include "cli/sealed_env/common.h"
#include "cli/vault_open.h"
#include "cli/audit_hook.h"
#include "core/sealedenv/deploy_token.h"
#include "core/random.h"
#include "core/sealedenv/mint_gate.h"

namespace keyward::cli::sealed_env {

namespace {

sealedenv::DeployKeys deploy_keys(const sealedenv::Credentials& c) {
  sealedenv::DeployKeys k{c.master->view(), {}, {}};
  if (c.signing) k.signing = c.signing->view();
  if (c.totp) k.totp = c.totp->view();
  return k;
}

void print_token(const Context& ctx, const SecretBytes& token, std::uint64_t ttl) {
  std::fwrite(token.data(), 1, token.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  (void)ctx;  // printed even with -q: it is what the token is
  std::fprintf(stderr,
               "keyward: warning: this deploy token is refused after %llu s, but it carries the "
               "file's derived key (spec section 12.5): anyone with a copy can decrypt this "
               ".env.sealed offline, even after expiry and after later set/rm/edit (they keep the "
               "salt), until `keyward sealed-env rotate`. Treat it as a secret.\n",
               static_cast<unsigned long long>(ttl));
}

}  // namespace

void add_mint_deploy(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
    std::uint64_t ttl = 0;
    bool keyward = false;
    UnlockOptions unlock;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand(
      "mint-deploy",
      "Print a short-lived Tier B deploy token for .env.sealed (for SEALED_ENV_DEPLOY_TOKEN in "
      "CI); it carries the file's derived key");
  sub->add_option("--file", o->file, "The .env.sealed file")->capture_default_str();
  sub->add_option("--ttl", o->ttl, "Lifetime in seconds (<= deploy_ttl_max_seconds, max 600)")->required();
  sub->add_flag("--keyward", o->keyward,
                "Use the Tier A token adopted into the keyward vault (`sealed-env adopt`); the "
                "mint then needs a touch (and user verification for enterprise vaults)");
  add_unlock_options(sub, o->unlock);
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(std::string text, read_text(o->file));
      KW_TRY(sealedenv::SealedFile f, sealedenv::parse_file(text));
      KW_TRY(auto cfg, load_config(o->file, f.mode));
      sealedenv::Config config = cfg ? *cfg : sealedenv::default_config(f.mode);
      std::uint64_t now = now_seconds();
      // Cheap policy checks before any prompt (mint_deploy refuses the TTL before using the key).
      if (o->ttl > config.deploy_ttl_max_seconds || o->ttl < 1 || o->ttl > sealedenv::kMaxDeployTtl) {
        SecretBytes unused(32);
        auto refused = sealedenv::mint_deploy(f, {unused.view(), {}, {}}, config, {now, o->ttl, {}});
        return tl::unexpected(refused.error());
      }
      if (o->keyward) {
        KW_TRY(auto v, open_vault(ctx, o->unlock));
        std::string coord = adopted_coordinate(f);
        auto tier = v.tier_of(coord);
        if (!tier && tier.error().code == Errc::not_found) {
          return fail(Errc::not_found, "the keyward vault holds no adopted token for " + o->file +
                                           " (" + coord + "): run `keyward sealed-env adopt` "
                                           "first");
        }
        if (!tier) return tl::unexpected(tier.error());
        if (*tier != vault::Tier::high) {
          return fail(Errc::policy, coord + " is not a high secret; adopt the token again");
        }
        gate::Level level = f.mode == sealedenv::Mode::enterprise ? gate::Level::verify
                                                                  : gate::Level::touch;
        std::optional<gate::Grant> grant;
        auto presence = sealedenv::external_gate([&](const sealedenv::MintRequest&) -> Status {
          KW_TRY(grant, vault_gate(ctx, v, "sealed-env mint-deploy --ttl " +
                                               std::to_string(o->ttl), {coord}, level));
          return ok();
        });
        KW_TRY_STATUS(presence->authorize({&f, &config, "deploy token", now}));
        KW_TRY(auto rec, v.get(coord, &*grant));
        std::string token(rec.value.reveal_string());
        auto lookup = [&token](std::string_view name) -> std::optional<std::string> {
          if (name == "SEALED_ENV_TOKEN") return token;
          return std::nullopt;
        };
        auto c = sealedenv::gather_credentials(lookup);
        secure_wipe(token.data(), token.size());
        if (!c) return tl::unexpected(c.error());
        if (!c->tier_a || !c->master) {
          return fail(Errc::policy, coord + " does not hold a Tier A token; adopt it again");
        }
        KW_TRY(SecretBytes minted, sealedenv::mint_deploy(f, deploy_keys(*c), config, {now, o->ttl, {}}));
        // Recorded before the token is written out: no entry, no token.
        KW_TRY_STATUS(audit_event(v, "mint-deploy", {audit_item(coord, vault::Tier::high)}, ok(),
                                  "deploy token, ttl " + std::to_string(o->ttl) + " s, by " +
                                      grant->device()));
        print_token(ctx, minted, o->ttl);
        return ok();
      }
      KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
      warn_once(c.warnings);
      if (!c.tier_a) return fail(Errc::auth_failed, "mint-deploy needs a Tier A credential (SEALED_ENV_TOKEN of mode b, t or e, or --keyward)");
      std::unique_ptr<sealedenv::MintGate> gate;
      // Enterprise: always (the file's mode, authenticated by mint_deploy below); otherwise the
      // config may ask for it.
      if (f.mode == sealedenv::Mode::enterprise || config.require_totp_on_mint) {
        if (!c.totp)
          return fail(Errc::auth_failed,
                      f.mode == sealedenv::Mode::enterprise
                          ? "minting for an enterprise file needs the TOTP secret and a TOTP "
                            "code (a token of mode e, or --keyward)"
                          : "require_totp_on_mint is set but no TOTP secret is available "
                            "(token of mode e)");
        gate = sealedenv::totp_gate(*c.totp, [&ctx] { return read_code_line(ctx, "TOTP code: "); });
      } else {
        gate = sealedenv::open_gate();
      }
      KW_TRY_STATUS(gate->authorize({&f, &config, "deploy token", now}));
      KW_TRY(SecretBytes token, sealedenv::mint_deploy(f, deploy_keys(c), config, {now, o->ttl, {}}));
      print_token(ctx, token, o->ttl);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

// `keyward sealed-env mint-deploy --ttl N`: a Tier B deploy token (spec §12.6) on stdout.
// The mint goes through a MintGate: the TOTP code when require_totp_on_mint (the default for
// enterprise vaults). The hardware presence gate will be inserted at the same point.
#include <cstdio>

#include "cli/sealed_env/common.h"
#include "core/sealedenv/deploy_token.h"
#include "core/sealedenv/mint_gate.h"

namespace keyward::cli::sealed_env {

void add_mint_deploy(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
    std::uint64_t ttl = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("mint-deploy", "Mint a short-lived deploy token (SEALED_ENV_DEPLOY_TOKEN)");
  sub->add_option("--file,--vault", o->file, "Sealed file")->capture_default_str();
  sub->add_option("--ttl", o->ttl, "Lifetime in seconds (<= deploy_ttl_max_seconds, max 600)")->required();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(std::string text, read_text(o->file));
      KW_TRY(sealedenv::SealedFile f, sealedenv::parse_file(text));
      KW_TRY(auto cfg, load_config(o->file, f.mode));
      sealedenv::Config config = cfg ? *cfg : sealedenv::default_config(f.mode);
      KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
      warn_once(c.warnings);
      if (!c.tier_a) return fail(Errc::auth_failed, "mint-deploy needs a Tier A credential (SEALED_ENV_TOKEN of mode b, t or e)");
      std::uint64_t now = now_seconds();
      // Cheap policy checks before any prompt.
      if (o->ttl > config.deploy_ttl_max_seconds || o->ttl < 1 || o->ttl > sealedenv::kMaxDeployTtl) {
        auto refused = sealedenv::mint_deploy(f, *c.master, config, {now, o->ttl, {}});
        return tl::unexpected(refused.error());
      }
      std::unique_ptr<sealedenv::MintGate> gate;
      if (config.require_totp_on_mint) {
        if (!c.totp) return fail(Errc::auth_failed, "require_totp_on_mint is set but no TOTP secret is available (token of mode e)");
        gate = sealedenv::totp_gate(*c.totp, [&ctx] { return read_code_line(ctx, "TOTP code: "); });
      } else {
        gate = sealedenv::open_gate();
      }
      KW_TRY_STATUS(gate->authorize({&f, &config, "deploy token", now}));
      KW_TRY(SecretBytes token, sealedenv::mint_deploy(f, *c.master, config, {now, o->ttl, {}}));
      std::fwrite(token.data(), 1, token.size(), stdout);
      std::fputc('\n', stdout);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

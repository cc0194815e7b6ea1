// `keyward sealed-env token mint|inspect`.
//   mint            the Tier A token (b/t/e) for the current credentials, e.g. to migrate from
//                   the legacy variables (the spec's `migrate-token`).
//   mint --unseal   an enterprise unseal token (§9), after the mint gate (TOTP code on stdin).
//   inspect         what a token is, without printing any key material.
#include <cstdio>
#include <iostream>

#include "cli/sealed_env/common.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/mint_gate.h"
#include "core/sealedenv/unseal_token.h"

namespace keyward::cli::sealed_env {
namespace {

Status mint_unseal_cmd(Context& ctx, const std::string& file, std::uint64_t ttl,
                       const std::string& deploy_id, bool u_form) {
  KW_TRY(std::string text, read_text(file));
  KW_TRY(sealedenv::SealedFile f, sealedenv::parse_file(text));
  KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
  warn_once(c.warnings);
  if (!c.totp) return fail(Errc::auth_failed, "minting an unseal token needs the TOTP secret (a token of mode e)");
  KW_TRY(auto cfg, load_config(file, f.mode));
  sealedenv::Config config = cfg ? *cfg : sealedenv::default_config(f.mode);
  // The gate: always a TOTP code for unseal tokens (the presence gate will replace it).
  auto gate = sealedenv::totp_gate(*c.totp, [&ctx] { return read_code_line(ctx, "TOTP code: "); });
  std::uint64_t now = now_seconds();
  KW_TRY_STATUS(gate->authorize({&f, &config, "unseal token", now}));
  KW_TRY(SecretBytes dk, sealedenv::derive_key(*c.master, f.salt, f.kdf));
  sealedenv::UnsealMint m;
  m.now = now;
  m.ttl = ttl;
  if (!deploy_id.empty()) m.deploy_id = deploy_id;
  KW_TRY(sealedenv::UnsealToken t, sealedenv::mint_unseal(f, dk, *c.totp, m));
  SecretBytes out;
  if (u_form) {
    KW_TRY(out, sealedenv::format_unseal_credential(t));
  } else {
    out = sealedenv::format_unseal_jws(t);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return ok();
}

void inspect(const sealedenv::CredentialToken& t) {
  const char* tier = (t.mode == 'd') ? "B (deploy)" : (t.mode == 'u') ? "A (unseal)" : "A (root)";
  std::printf("mode: %c\ntier: %s\nchecksum: ok\n", t.mode, tier);
  if (t.master) std::printf("master key: %zu bytes\n", t.master->size());
  if (t.signing) std::printf("signing key: %zu bytes\n", t.signing->size());
  if (t.totp) std::printf("totp secret: %zu bytes\n", t.totp->size());
  if (t.unseal) {
    std::printf("iss: %s\niat: %llu\nexp: %llu\ndeploy_id: %s\nops_id: %s\n", t.unseal->iss.c_str(),
                static_cast<unsigned long long>(t.unseal->iat), static_cast<unsigned long long>(t.unseal->exp),
                t.unseal->deploy_id ? t.unseal->deploy_id->c_str() : "null", t.unseal->ops_id.c_str());
  }
  if (t.deploy) {
    std::printf("exp: %llu\nvault_id: %s\nnonce: %s\n", static_cast<unsigned long long>(t.deploy->exp),
                encoding::hex_encode(t.deploy->vault_id).c_str(), encoding::hex_encode(t.deploy->nonce).c_str());
  }
}

}  // namespace

void add_token(CLI::App& parent, Context& ctx) {
  auto* tok = parent.add_subcommand("token", "Mint or inspect credential tokens");
  tok->require_subcommand(1);
  struct MintOpts {
    std::string file = kDefaultFile, mode, deploy_id;
    bool unseal = false, u_form = false;
    std::uint64_t ttl = 60;
  };
  auto m = std::make_shared<MintOpts>();
  auto* mint = tok->add_subcommand("mint", "Print the Tier A token for the current credentials "
                                           "(migrates the legacy variables), or an unseal token");
  mint->add_option("--file", m->file, "Sealed file (decides the mode)")->capture_default_str();
  mint->add_option("--mode", m->mode, "b, t or e (default: the file's mode)");
  mint->add_flag("--unseal", m->unseal, "Mint an enterprise unseal token (TOTP code read from stdin)");
  mint->add_option("--ttl", m->ttl, "Unseal token lifetime in seconds (max 600)")->capture_default_str();
  mint->add_option("--deploy-id", m->deploy_id, "Deploy challenge to bind (CHALLENGE-BIND)");
  mint->add_flag("--u-form", m->u_form, "Unseal token as sealed_env_u_... instead of usl_...");
  mint->callback([m, &ctx] {
    run(ctx, [&]() -> Status {
      if (m->unseal) return mint_unseal_cmd(ctx, m->file, m->ttl, m->deploy_id, m->u_form);
      KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
      if (!c.tier_a) return fail(Errc::auth_failed, "token mint needs Tier A keys (token b/t/e or legacy variables)");
      char mode = c.totp ? 'e' : c.signing ? 't' : 'b';
      if (!m->mode.empty()) {
        mode = m->mode[0];
      } else if (file_exists(m->file)) {
        KW_TRY(std::string text, read_text(m->file));
        KW_TRY(sealedenv::SealedFile f, sealedenv::parse_file(text));
        mode = f.mode == sealedenv::Mode::basic ? 'b' : f.mode == sealedenv::Mode::team ? 't' : 'e';
      }
      std::optional<ByteView> s, t;
      if (c.signing) s = c.signing->view();
      if (c.totp) t = c.totp->view();
      KW_TRY(SecretBytes out, sealedenv::encode_tier_a(mode, *c.master, s, t));
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fputc('\n', stdout);
      return ok();
    });
  });
  auto stdin_flag = std::make_shared<bool>(false);
  auto* insp = tok->add_subcommand("inspect", "Describe SEALED_ENV_TOKEN (or a token on stdin) "
                                              "without printing key material");
  insp->add_flag("--stdin", *stdin_flag, "Read the token from stdin");
  insp->callback([stdin_flag, &ctx] {
    run(ctx, [&]() -> Status {
      std::string text;
      if (*stdin_flag) {
        std::getline(std::cin, text);
      } else if (const char* e = std::getenv("SEALED_ENV_TOKEN")) {
        text = e;
      } else {
        return fail(Errc::invalid_argument, "set SEALED_ENV_TOKEN or pass --stdin");
      }
      if (text.rfind("usl_", 0) == 0) {
        KW_TRY(sealedenv::UnsealToken u, sealedenv::parse_unseal_jws(text));
        std::printf("form: usl_ (JWS, legacy)\niat: %llu\nexp: %llu\nops_id: %s\n",
                    static_cast<unsigned long long>(u.claims.iat),
                    static_cast<unsigned long long>(u.claims.exp), u.claims.ops_id.c_str());
        return ok();
      }
      KW_TRY(sealedenv::CredentialToken t, sealedenv::parse_token(text));
      secure_wipe(text.data(), text.size());
      inspect(t);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

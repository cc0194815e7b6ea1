// `keyward sealed-env init`: new keys, a new .env.sealed and its .sealed-env.config.json with the
// defaults of the vault mode (spec §12.3). Prints the Tier A token once, on stdout.
#include <cstdio>

#include "cli/sealed_env/common.h"
#include "core/random.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/seal.h"

namespace keyward::cli::sealed_env {

Result<sealedenv::KdfSpec> kdf_from_name(const std::string& name) {
  sealedenv::KdfSpec k;
  if (name == "argon2id") k.kind = sealedenv::KdfKind::argon2id;
  else if (name == "scrypt") k.kind = sealedenv::KdfKind::scrypt;
  else return fail(Errc::invalid_argument, "--kdf must be argon2id or scrypt");
  return k;
}

void add_init(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile, mode = "basic", kdf = "argon2id", from;
    bool challenge = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("init", "Create .env.sealed (and .sealed-env.config.json) with "
                                            "fresh keys; prints its Tier A token once");
  sub->add_option("--file", o->file, "Sealed file to create")->capture_default_str();
  sub->add_option("--mode", o->mode, "basic, team or enterprise")->capture_default_str();
  sub->add_option("--kdf", o->kdf, "argon2id (t=3,m=65536,p=4) or scrypt (N=32768,r=8,p=1)")
      ->capture_default_str();
  sub->add_option("--from", o->from, "Plaintext .env to seal (default: an empty document)");
  sub->add_flag("--challenge-bind", o->challenge, "Enterprise: bind unseal tokens to SEALED_ENV_DEPLOY_ID");
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      auto mode = sealedenv::mode_from_name(o->mode);
      if (!mode) return fail(Errc::invalid_argument, "--mode must be basic, team or enterprise");
      KW_TRY(sealedenv::KdfSpec kdf, kdf_from_name(o->kdf));
      std::string cfg_path = sibling_config_path(o->file);
      if (file_exists(o->file)) return fail(Errc::already_exists, o->file + " already exists");
      if (file_exists(cfg_path)) return fail(Errc::already_exists, cfg_path + " already exists");
      SecretBytes plain;
      if (!o->from.empty()) {
        KW_TRY(std::string t, read_text(o->from));
        plain = SecretBytes::copy_of(std::string_view(t));
        secure_wipe(t.data(), t.size());
        KW_TRY_STATUS(dotenv_parse(plain, DotenvOptions::sealed_env_v1()));
      }
      SecretBytes mk = random_secret(32), sk = random_secret(32), totp = random_secret(20);
      sealedenv::SealOptions so;
      so.mode = *mode;
      so.kdf = kdf;
      so.challenge_bind = o->challenge;
      sealedenv::SealKeys keys{mk.view(), sk.view(), totp.view()};
      KW_TRY(sealedenv::SealedFile f, sealedenv::seal(plain, keys, so));
      KW_TRY(std::string text, sealedenv::write_file(f));
      char m = *mode == sealedenv::Mode::basic ? 'b' : *mode == sealedenv::Mode::team ? 't' : 'e';
      KW_TRY(SecretBytes token, sealedenv::encode_tier_a(m, mk, sk.view(), totp.view()));
      KW_TRY_STATUS(write_text_atomic(o->file, text, false));
      KW_TRY_STATUS(write_text_atomic(cfg_path, sealedenv::write_config(sealedenv::default_config(*mode)), false));
      std::fwrite(token.data(), 1, token.size(), stdout);
      std::fputc('\n', stdout);
      info(ctx, "wrote " + o->file + " and " + cfg_path +
                    "; the line on stdout is the Tier A token (SEALED_ENV_TOKEN): store it in a "
                    "password manager, it is shown only once");
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

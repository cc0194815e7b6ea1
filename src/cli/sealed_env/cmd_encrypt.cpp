// `keyward sealed-env encrypt`: seal a plaintext .env with the keys from SEALED_ENV_TOKEN (or the
// legacy variables). The mode follows the token (b/t/e) unless --mode says otherwise.
#include "cli/sealed_env/common.h"
#include "core/random.h"
#include "core/sealedenv/seal.h"

namespace keyward::cli::sealed_env {

Result<sealedenv::KdfSpec> kdf_from_name(const std::string& name);

void add_encrypt(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string in = ".env", file = kDefaultFile, mode, kdf = "argon2id";
    bool force = false, challenge = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("encrypt", "Seal a plaintext .env into .env.sealed");
  sub->add_option("--in", o->in, "Plaintext .env")->capture_default_str();
  sub->add_option("--file", o->file, "Sealed file to write")->capture_default_str();
  sub->add_option("--mode", o->mode, "basic, team or enterprise (default: from the token)");
  sub->add_option("--kdf", o->kdf, "argon2id or scrypt")->capture_default_str();
  sub->add_flag("--force", o->force, "Overwrite an existing sealed file");
  sub->add_flag("--challenge-bind", o->challenge, "Enterprise: CHALLENGE-BIND=enabled");
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      if (file_exists(o->file) && !o->force)
        return fail(Errc::already_exists, o->file + " already exists (use --force to replace it)");
      KW_TRY(sealedenv::KdfSpec kdf, kdf_from_name(o->kdf));
      KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
      warn_once(c.warnings);
      if (!c.tier_a) return fail(Errc::auth_failed, "encrypt needs a Tier A credential (SEALED_ENV_TOKEN of mode b, t or e)");
      sealedenv::Mode mode = c.totp ? sealedenv::Mode::enterprise
                             : c.signing ? sealedenv::Mode::team : sealedenv::Mode::basic;
      if (!o->mode.empty()) {
        auto m = sealedenv::mode_from_name(o->mode);
        if (!m) return fail(Errc::invalid_argument, "--mode must be basic, team or enterprise");
        mode = *m;
      }
      KW_TRY(std::string t, read_text(o->in));
      SecretBytes plain = SecretBytes::copy_of(std::string_view(t));
      secure_wipe(t.data(), t.size());
      KW_TRY_STATUS(dotenv_parse(plain, DotenvOptions::sealed_env_v1()));
      sealedenv::SealOptions so;
      so.mode = mode;
      so.kdf = kdf;
      so.challenge_bind = o->challenge;
      sealedenv::SealKeys keys{c.master->view(), {}, {}};
      if (c.signing) keys.signing = c.signing->view();
      if (c.totp) keys.totp = c.totp->view();
      KW_TRY(sealedenv::SealedFile f, sealedenv::seal(plain, keys, so));
      KW_TRY(std::string text, sealedenv::write_file(f));
      KW_TRY_STATUS(write_text_atomic(o->file, text, false));
      info(ctx, "sealed " + o->in + " into " + o->file + " (mode " +
                    std::string(sealedenv::mode_name(mode)) + ")");
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

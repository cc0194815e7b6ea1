// `keyward sealed-env rotate`: new keys, new salt and nonce, same plaintext and KDF parameters;
// CREATED kept, ROTATED set (spec §4, §10.5). Prints the new Tier A token on stdout; every
// outstanding deploy token dies with the old salt (§12.5).
#include <cstdio>

#include "cli/sealed_env/common.h"
#include "core/random.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/seal.h"

namespace keyward::cli::sealed_env {

void add_rotate(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("rotate", "Re-seal with fresh keys and salt; prints the new Tier A token");
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted d, decrypt_file(o->file));
      SecretBytes mk = random_secret(32), sk = random_secret(32), totp = random_secret(20);
      sealedenv::SealOptions so;
      so.mode = d.file.mode;
      so.kdf = d.file.kdf;
      so.enforce_minimums = false;  // keep the file's parameters, whatever they are
      so.challenge_bind = d.file.challenge_bind.value_or(false);
      so.created = d.file.created;
      so.rotated = sealedenv::now_timestamp();
      KW_TRY(sealedenv::SealedFile f,
             sealedenv::seal(d.plaintext, sealedenv::SealKeys{mk.view(), sk.view(), totp.view()}, so));
      KW_TRY(std::string text, sealedenv::write_file(f));
      char m = f.mode == sealedenv::Mode::basic ? 'b' : f.mode == sealedenv::Mode::team ? 't' : 'e';
      KW_TRY(SecretBytes token, sealedenv::encode_tier_a(m, mk, sk.view(), totp.view()));
      KW_TRY_STATUS(write_text_atomic(o->file, text, false));
      std::fwrite(token.data(), 1, token.size(), stdout);
      std::fputc('\n', stdout);
      info(ctx, "rotated " + o->file + "; the old token no longer opens it. The line on stdout "
                "is the new SEALED_ENV_TOKEN");
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

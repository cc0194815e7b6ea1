// `keyward sealed-env rm KEY`: remove one variable from .env.sealed, re-sealed in place
// (reseal_in_place), with no plaintext file.
#include <algorithm>

#include "cli/sealed_env/common.h"

namespace keyward::cli::sealed_env {

void add_rm(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile, key;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("rm", "Remove KEY from .env.sealed");
  sub->add_option("key", o->key, "Variable name")->required();
  sub->add_option("--file", o->file, "The .env.sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted d, decrypt_file(o->file));
      auto it = std::find_if(d.entries.begin(), d.entries.end(),
                             [&](const DotenvEntry& e) { return e.key == o->key; });
      if (it == d.entries.end()) return fail(Errc::not_found, o->key + " is not in " + o->file);
      d.entries.erase(it);
      KW_TRY(SecretBytes doc, dotenv_write(d.entries, DotenvOptions::sealed_env_v1()));
      KW_TRY_STATUS(reseal_in_place(o->file, d, doc));
      info(ctx, "removed " + o->key + " from " + o->file);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

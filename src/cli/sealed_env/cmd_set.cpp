// `keyward sealed-env set KEY`: add or change one value in .env.sealed without a plaintext file.
// The value comes from stdin (when it is not a terminal; one trailing newline dropped) or a
// no-echo prompt, never from argv. The document is re-sealed in place (reseal_in_place: same
// mode, KDF, salt and config, fresh nonce) in canonical dotenv form.
#include <unistd.h>

#include <vector>

#include "cli/prompt.h"
#include "cli/sealed_env/common.h"

namespace keyward::cli::sealed_env {

void add_set(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile, key;
    std::vector<std::string> args;  // KEY; anything more is refused without being echoed
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand(
      "set", "Add or change KEY in .env.sealed; the value is read from stdin or a no-echo prompt");
  sub->add_option("key", o->args, "Variable name ([A-Za-z_][A-Za-z0-9_]*)")->required();
  sub->add_option("--file", o->file, "The .env.sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      // A value typed after KEY must not be echoed back (as CLI11's "not expected" error would).
      if (o->args.size() != 1)
        return fail(Errc::invalid_argument,
                    "set reads the value from stdin or a no-echo prompt, never from the command "
                    "line; the extra argument was ignored (remove it from your shell history)");
      o->key = o->args[0];
      if (!dotenv_valid_key(o->key))
        return fail(Errc::invalid_argument, "KEY must match [A-Za-z_][A-Za-z0-9_]*");
      KW_TRY(Decrypted d, decrypt_file(o->file));
      SecretBytes value;
      if (::isatty(0)) {
        KW_TRY(value, prompt_secret("Value for " + o->key + ": "));
      } else {
        KW_TRY(auto raw, read_fd_secret(0));
        value = strip_newline(std::move(raw));
      }
      bool replaced = false;
      for (auto& e : d.entries) {
        if (e.key == o->key) {
          if (e.value.equals(value)) {
            info(ctx, o->key + " already has this value; " + o->file + " is unchanged");
            return ok();
          }
          e.value = std::move(value);
          replaced = true;
          break;
        }
      }
      if (!replaced) d.entries.push_back(DotenvEntry{o->key, std::move(value)});
      KW_TRY(SecretBytes doc, dotenv_write(d.entries, DotenvOptions::sealed_env_v1()));
      KW_TRY_STATUS(reseal_in_place(o->file, d, doc));
      info(ctx, (replaced ? "changed " : "added ") + o->key + " in " + o->file);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

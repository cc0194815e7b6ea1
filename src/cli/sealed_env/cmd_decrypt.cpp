// `keyward sealed-env decrypt --stdout`: the plaintext goes to stdout only when asked for.
#include <cstdio>

#include "cli/sealed_env/common.h"

namespace keyward::cli::sealed_env {

void add_decrypt(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
    bool to_stdout = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("decrypt", "Decrypt .env.sealed to stdout (requires --stdout)");
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  sub->add_flag("--stdout", o->to_stdout, "Write the plaintext .env to stdout");
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      if (!o->to_stdout)
        return fail(Errc::invalid_argument,
                    "decrypt writes plaintext only with --stdout (or use `keyward sealed-env exec -- CMD`)");
      KW_TRY(Decrypted d, decrypt_file(o->file));
      std::fwrite(d.plaintext.data(), 1, d.plaintext.size(), stdout);
      std::fflush(stdout);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

// `keyward sealed-env get KEY`: one value on stdout.
#include <cstdio>

#include "cli/sealed_env/common.h"

namespace keyward::cli::sealed_env {

void add_get(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile, key;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("get", "Print the value of one key");
  sub->add_option("key", o->key, "Key name")->required();
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted d, decrypt_file(o->file));
      for (const auto& e : d.entries) {
        if (e.key != o->key) continue;
        std::fwrite(e.value.data(), 1, e.value.size(), stdout);
        std::fputc('\n', stdout);
        return ok();
      }
      return fail(Errc::not_found, "no key " + o->key + " in " + o->file);
    });
  });
}

}  // namespace keyward::cli::sealed_env

// `keyward sealed-env diff OTHER`: which keys were added, removed or changed between .env.sealed
// and OTHER (a plaintext .env or another .env.sealed openable with the same credentials).
// Prints key names only, never values.
#include <cstdio>
#include <map>

#include "cli/sealed_env/common.h"
#include "core/random.h"

namespace keyward::cli::sealed_env {

void add_diff(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile, other;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("diff", "Show added (+), removed (-) and changed (~) keys against OTHER");
  sub->add_option("other", o->other, "A plaintext .env or another .env.sealed")->required();
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted a, decrypt_file(o->file));
      std::vector<DotenvEntry> b;
      KW_TRY(std::string head, read_text(o->other));
      if (head.rfind("SEALED-ENV-V", 0) == 0) {
        KW_TRY(Decrypted d, decrypt_file(o->other));
        b = std::move(d.entries);
      } else {
        KW_TRY(b, dotenv_parse(as_bytes(head), DotenvOptions::sealed_env_v1()));
        secure_wipe(head.data(), head.size());
      }
      std::map<std::string, const SecretBytes*> old_map, new_map;
      for (const auto& e : a.entries) old_map[e.key] = &e.value;
      for (const auto& e : b) new_map[e.key] = &e.value;
      for (const auto& [k, v] : old_map) {
        auto it = new_map.find(k);
        if (it == new_map.end()) std::printf("- %s\n", k.c_str());
        else if (!v->equals(*it->second)) std::printf("~ %s\n", k.c_str());
      }
      for (const auto& [k, v] : new_map)
        if (!old_map.count(k)) std::printf("+ %s\n", k.c_str());
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

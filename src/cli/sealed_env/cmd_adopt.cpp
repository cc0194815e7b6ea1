// `keyward sealed-env adopt [--file .env.sealed]`: moves a sealed file's Tier A credential token
// (SEALED_ENV_TOKEN, mode b/t/e) into the keyward vault as a HIGH record at
// `sealed-env/<vault id, 64 hex>/CREDENTIAL_TOKEN`, so it lives behind a hardware slot instead of
// a password manager. The token must open the file (checked before anything is stored); writing
// the high record passes the presence gate. `mint-deploy --keyward` then mints from it.
#include <cstdlib>

#include "cli/presence.h"
#include "cli/sealed_env/common.h"
#include "cli/vault_open.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/keys.h"
#include "net/redis_replay_cache.h"

namespace keyward::cli::sealed_env {

std::string adopted_coordinate(const sealedenv::SealedFile& f) {
  return "sealed-env/" + encoding::hex_encode(sealedenv::vault_id(f.salt)) + "/CREDENTIAL_TOKEN";
}

void add_adopt(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
    UnlockOptions unlock;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand(
      "adopt", "Store the Tier A token (SEALED_ENV_TOKEN) in the keyward vault as a high secret");
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  add_unlock_options(sub, o->unlock);
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(std::string text, read_text(o->file));
      KW_TRY(sealedenv::SealedFile f, sealedenv::parse_file(text));
      const char* token = std::getenv("SEALED_ENV_TOKEN");
      if (token == nullptr || token[0] == '\0') {
        return fail(Errc::invalid_argument, "adopt reads the Tier A token from SEALED_ENV_TOKEN "
                                            "(never from the command line); set it for this "
                                            "command only");
      }
      std::string token_text(token);
      KW_TRY(sealedenv::Credentials c, sealedenv::gather_credentials(process_env()));
      warn_once(c.warnings);
      if (!c.from_token || !c.tier_a || !c.master) {
        return fail(Errc::policy, "SEALED_ENV_TOKEN is not a Tier A token (sealed_env_b/t/e_...): "
                                  "only the vault's root credential is adopted");
      }
      // The token must open this file (a wrong token would be kept behind hardware for nothing).
      KW_TRY(auto cfg, load_config(o->file, f.mode));
      sealedenv::OpenContext octx;
      octx.now = now_seconds();
      octx.replay_factory = net::open_replay_cache;
      octx.config = cfg ? &*cfg : nullptr;
      auto opened = sealedenv::open_with_credentials(f, c, octx);
      if (!opened) {
        return fail(opened.error().code, "the token in SEALED_ENV_TOKEN does not open " + o->file +
                                             ": " + opened.error().message);
      }
      KW_TRY(auto v, open_vault(ctx, o->unlock));
      std::string coord = adopted_coordinate(f);
      if (!v.has_presence_slot()) {
        return fail(Errc::policy, "adopting puts the token behind a hardware slot, and this vault "
                                  "has none: enrol one with `keyward slot add fido2` or "
                                  "`keyward slot add piv`");
      }
      std::optional<gate::Grant> grant;
      if (!v.high_unlocked()) {
        KW_TRY(grant, vault_gate(ctx, v, "sealed-env adopt", {coord}, gate::Level::touch));
      }
      vault::SetItem item;
      item.coordinate = coord;
      item.tier = vault::Tier::high;
      item.value = SecretBytes::copy_of(std::string_view(token_text));
      secure_wipe(token_text.data(), token_text.size());
      std::vector<vault::SetItem> items;
      items.push_back(std::move(item));
      KW_TRY_STATUS(v.set(items, grant ? &*grant : nullptr));
      info(ctx, "Adopted the " + std::string(sealedenv::mode_name(f.mode)) + " token of " +
                    o->file + " as the high secret " + coord +
                    ". `keyward sealed-env mint-deploy --keyward` mints from it after a touch" +
                    (f.mode == sealedenv::Mode::enterprise ? " with user verification" : "") +
                    "; remove the token from your password manager and environment.");
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env

// `keyward sealed-env ...`: read and write SEALED-ENV-V1 `.env.sealed` files and their credential
// and deploy tokens (docs/sealed-env.md). One file per subcommand; this one creates the parent.
#include "cli/cli.h"
#include "cli/sealed_env/common.h"

namespace keyward::cli {
namespace {

void add_sealed_env(CLI::App& app, Context& ctx) {
  auto* se = app.add_subcommand(
      "sealed-env",
      "Read and change SEALED-ENV-V1 .env.sealed files (Node/Java compatible; docs/sealed-env.md). "
      "The sealed file is --file (default .env.sealed); --vault is always the keyward vault. "
      "Credentials come from SEALED_ENV_TOKEN, SEALED_ENV_DEPLOY_TOKEN, SEALED_ENV_UNSEAL_TOKEN or "
      "the deprecated SEALED_ENV_KEY/SIGNING_KEY/TOTP_SECRET variables, never from the command line.");
  se->require_subcommand(1);
  sealed_env::add_init(*se, ctx);
  sealed_env::add_encrypt(*se, ctx);
  sealed_env::add_decrypt(*se, ctx);
  sealed_env::add_exec(*se, ctx);
  sealed_env::add_get(*se, ctx);
  sealed_env::add_diff(*se, ctx);
  sealed_env::add_rotate(*se, ctx);
  sealed_env::add_token(*se, ctx);
  sealed_env::add_mint_deploy(*se, ctx);
  sealed_env::add_doctor(*se, ctx);
  sealed_env::add_adopt(*se, ctx);
  sealed_env::add_set(*se, ctx);
  sealed_env::add_rm(*se, ctx);
  sealed_env::add_edit(*se, ctx);
}

}  // namespace

KEYWARD_COMMAND(130, add_sealed_env, "sealed-env");

}  // namespace keyward::cli

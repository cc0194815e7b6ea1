// `keyward rm COORD`: delete one secret.
#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct RmOptions {
  std::string coordinate;
  UnlockOptions unlock;
};

Status run_rm(const Context& ctx, const RmOptions& o) {
  KW_TRY(auto coord, vault::parse_coordinate(o.coordinate));
  // Core refuses the reserved environment; refused here too so that no credential is asked.
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  // A high record, or any record of a high environment, needs the presence gate (core).
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY_STATUS(vault->remove(coord.str()));
  info(ctx, "Removed " + o.coordinate);
  return ok();
}

void add_rm_command(CLI::App& app, Context& ctx) {
  static RmOptions o;
  auto* cmd = app.add_subcommand("rm", "Delete a secret");
  cmd->add_option("coordinate", o.coordinate, "env/component/KEY")->required();
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_rm(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(50, add_rm_command, "rm");

}  // namespace keyward::cli

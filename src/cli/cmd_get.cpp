// `keyward get COORD`: print one secret's value on stdout (a newline is added only on a
// terminal, so `$(keyward get ...)` and pipes get the exact bytes). A high record is released
// through the presence gate (cli/presence.h): the touch authorises exactly this coordinate.
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct GetOptions {
  std::string coordinate;
  UnlockOptions unlock;
};

Status run_get(const Context& ctx, const GetOptions& o) {
  KW_TRY_STATUS(vault::parse_coordinate(o.coordinate));
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  KW_TRY(auto tier, v.tier_of(o.coordinate));
  std::optional<gate::Grant> grant;
  if (tier == vault::Tier::high) {
    KW_TRY(auto c, vault::parse_coordinate(o.coordinate));
    KW_TRY(grant, vault_gate(ctx, v, "get", {c.str()}, gate::Level::touch));
  }
  KW_TRY(auto rec, v.get(o.coordinate, grant ? &*grant : nullptr));
  std::fwrite(rec.value.data(), 1, rec.value.size(), stdout);
  if (::isatty(1)) std::fputc('\n', stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

void add_get_command(CLI::App& app, Context& ctx) {
  static GetOptions o;
  auto* cmd = app.add_subcommand("get", "Print one secret's value");
  cmd->add_option("coordinate", o.coordinate, "env/component/KEY")->required();
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_get(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(30, add_get_command);

}  // namespace keyward::cli

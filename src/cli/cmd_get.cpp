// `keyward get COORD`: print one secret's value on stdout (a newline is added only on a
// terminal, so `$(keyward get ...)` and pipes get the exact bytes). A high record is released
// through the presence gate (core/access): the touch authorises exactly this coordinate.
#include <unistd.h>

#include <cstdio>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct GetOptions {
  std::string coordinate;
  UnlockOptions unlock;
};

Status print_value(ByteView value) {
  std::fwrite(value.data(), 1, value.size(), stdout);
  if (::isatty(1)) std::fputc('\n', stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

Status run_get(const Context& ctx, const GetOptions& o) {
  KW_TRY(auto coord, vault::parse_coordinate(o.coordinate));
  // Core refuses the reserved environment; refused here too so that no credential is asked.
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY(auto rec, vault->get(coord.str()));
  return print_value(rec.value);
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

KEYWARD_COMMAND(30, add_get_command, "get");

}  // namespace keyward::cli

// `keyward get COORD`: print one secret's value on stdout (a newline is added only on a
// terminal, so `$(keyward get ...)` and pipes get the exact bytes). A high record is released
// through the presence gate (cli/presence.h): the touch authorises exactly this coordinate.
#include <unistd.h>

#include <cstdio>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/presence.h"
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
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  agent::Request req;
  req.op = agent::Op::get;
  req.coordinate = coord.str();
  KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
  if (answer) {
    if (answer->high && answer->high->rows.size() == 1 && answer->records.empty() &&
        answer->high->rows[0].meta.coordinate == coord.str()) {
      // A high record: the agent returned it sealed; the touch happens here.
      KW_TRY(auto recs, open_sealed_high(ctx, req.vault, "get", *answer->high));
      return print_value(recs.at(0).value);
    }
    auto views = record_views(*answer);
    if (answer->high || views.size() != 1 || views[0].meta->coordinate != coord.str()) {
      return fail(Errc::unavailable, "the agent answered for another record; run `keyward agent "
                                     "stop` and try again");
    }
    return print_value(views[0].value);
  }
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  auto found = v.tier_of(coord.str());
  if (!found) return audited(v, "get", Status(tl::unexpected(found.error())), {audit_item(coord.str())});
  const vault::Tier tier = *found;
  std::optional<gate::Grant> grant;
  if (tier == vault::Tier::high) {
    auto g = vault_gate(ctx, v, "get", {coord.str()}, gate::Level::touch);
    if (!g) return audited(v, "get", Status(tl::unexpected(g.error())), {audit_item(coord.str(), tier)});
    grant = std::move(*g);
  }
  KW_TRY(auto rec, audited(v, "get", v.get(coord.str(), grant ? &*grant : nullptr),
                           {audit_item(coord.str(), tier)},
                           grant ? "released through the presence gate by " + grant->device() : std::string()));
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
